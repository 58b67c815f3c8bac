/**
 * A synthetic subscription business for the demo. Each day customers arrive; the serving model scores
 * their churn risk and the riskiest share gets a retention offer. Partway through, a price change moves
 * `monthly_charges` up and changes what drives churn, so a model trained before it loses precision.
 */

/** Deterministic PRNG so every demo run tells the same story. */
export { mulberry32 as random } from '#domain/random.ts';

export const FEATURES = ['tenure', 'monthly_charges', 'support_calls'] as const;
export const LABEL = 'churned';

export interface Customers {
  rows: number;
  /** Row-major feature values, FEATURES order. */
  features: Float64Array;
  /** 1 if the customer churns. */
  churned: Uint8Array;
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** Generates one day's customers; `shifted` switches to the post-price-change world. */
export function customers(next: () => number, count: number, shifted: boolean): Customers {
  const features = new Float64Array(count * FEATURES.length);
  const churned = new Uint8Array(count);
  for (let i = 0; i < count; i += 1) {
    const tenure = Math.min(72, Math.max(1, Math.round(-Math.log(Math.max(next(), 1e-9)) * 24)));
    const charges = Math.max(15, 65 + (shifted ? 25 : 0) + gaussian(next) * 18);
    const calls = Math.floor(-Math.log(Math.max(next(), 1e-9)) * 1.6);
    const logit = shifted
      ? -2.2 - 0.015 * tenure + 0.1 * (charges - 90) + 0.02 * calls
      : -1.8 - 0.05 * tenure + 0.9 * (calls - 1.6) + 0.004 * (charges - 65);
    features[i * 3] = tenure;
    features[i * 3 + 1] = Math.round(charges * 100) / 100;
    features[i * 3 + 2] = calls;
    churned[i] = next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { rows: count, features, churned };
}

/**
 * The retention campaign: the `share` of customers with the highest scores get an offer; precision is the
 * fraction of them who were about to churn. Without a model, offers go to a random sample.
 */
export function campaign(
  day: Customers,
  scores: Float64Array | undefined,
  share: number,
  next: () => number,
) {
  const targeted = Math.max(1, Math.round(day.rows * share));
  const order = Array.from({ length: day.rows }, (_, i) => i);
  const key = scores ?? Float64Array.from(order, () => next());
  order.sort((a, b) => (key[b] as number) - (key[a] as number));
  let hits = 0;
  for (let i = 0; i < targeted; i += 1) hits += day.churned[order[i] as number] as number;
  return { targeted, precision: hits / targeted };
}

/** CSV text of labelled customers, the format the built-in trainer reads. */
export function toCsv(days: readonly Customers[]): string {
  const lines = [[...FEATURES, LABEL].join(',')];
  for (const day of days) {
    for (let i = 0; i < day.rows; i += 1) {
      lines.push(
        `${day.features[i * 3]},${day.features[i * 3 + 1]},${day.features[i * 3 + 2]},${day.churned[i]}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
