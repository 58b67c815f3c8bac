/**
 * Dataset arrivals: S3 announces each object created under `datasets/` (a bucket notification), and the
 * announcement is recorded as a small row in the partition of every model whose window datasets it is, beside
 * its KPIs. A sweep's check then learns whether its window's dataset has arrived from the query it makes anyway,
 * instead of a HEAD or LIST per model and hour. Pure: keys and templates in, keys and rows out.
 */
import { DATASETS_PREFIX } from '#contracts/workflows.ts';
import { currentDatasetKey, DATE_PLACEHOLDER } from './dated-keys.ts';

/** A window dataset's arrival, stored in its model's partition of the metrics table. */
export interface DatasetArrival {
  type: 'arrival';
  modelId: string;
  /** The object's key. */
  key: string;
  /** Its size in bytes, as S3 announced it. */
  bytes: number;
  /** Midnight (UTC) of the day in the key: the start of the first window the dataset belongs to. */
  timestamp: string;
  /** When S3 announced it. */
  arrivedAt: string;
}

/** A model whose window datasets are announced: where its index entry lives and the template it stands for. */
export interface ArrivalSubscription {
  modelId: string;
  template: string;
  /** The model's retention (s): its arrival rows expire with its other rows. */
  retentionSeconds?: number;
}

const DATE = /\d{4}-\d{2}-\d{2}/y;

/**
 * The literal start of a window-dataset template up to its first `{date}`, which indexes the models awaiting
 * objects there; undefined when S3 does not announce the template's objects (outside `datasets/`, or one fixed
 * key without `{date}`, which a check looks for itself).
 */
export function arrivalPrefix(template: string): string | undefined {
  const at = template.indexOf(DATE_PLACEHOLDER);
  if (at < 0 || !template.startsWith(DATASETS_PREFIX)) return undefined;
  return template.slice(0, at);
}

/** Where an announced key's date may stand: every `YYYY-MM-DD` in it, with the literal text before it. */
export function datePositions(key: string): { prefix: string; date: string }[] {
  const positions: { prefix: string; date: string }[] = [];
  for (let at = 0; at + 10 <= key.length; at += 1) {
    DATE.lastIndex = at;
    if (!DATE.test(key)) continue;
    const date = key.slice(at, at + 10);
    // 2026-02-30 or 2026-13-01 name no day: no template writes them.
    const day = new Date(`${date}T00:00:00.000Z`);
    if (!Number.isNaN(day.getTime()) && day.toISOString().startsWith(date)) {
      positions.push({ prefix: key.slice(0, at), date });
    }
  }
  return positions;
}

/**
 * The arrival rows of `key` for the models awaiting objects at one of its date positions (`candidates` by
 * prefix): one per model whose template names exactly this key on that date. Keys outside `datasets/` give none.
 */
export function arrivalsOf(
  object: { key: string; bytes: number; arrivedAt: string },
  candidates: (prefix: string) => readonly ArrivalSubscription[],
): (DatasetArrival & { retentionSeconds?: number })[] {
  if (!object.key.startsWith(DATASETS_PREFIX)) return [];
  const rows = new Map<string, DatasetArrival & { retentionSeconds?: number }>();
  for (const { prefix, date } of datePositions(object.key)) {
    for (const subscription of candidates(prefix)) {
      if (currentDatasetKey(subscription.template, date) !== object.key) continue;
      rows.set(subscription.modelId, {
        type: 'arrival',
        modelId: subscription.modelId,
        key: object.key,
        bytes: object.bytes,
        timestamp: `${date}T00:00:00.000Z`,
        arrivedAt: object.arrivedAt,
        ...(subscription.retentionSeconds === undefined
          ? {}
          : { retentionSeconds: subscription.retentionSeconds }),
      });
    }
  }
  return [...rows.values()];
}

/** Where the arrival of the dataset of a window starting at `windowStart` is recorded: midnight of its day. */
export function arrivalTimestamp(windowStart: string): string {
  return `${windowStart.slice(0, 10)}T00:00:00.000Z`;
}

/**
 * Whether a check of `policy` learns of its window datasets from arrival rows: its template is announced and the
 * model was subscribed with that template (`subscribed`, stored with the policy).
 */
export function awaitsArrivals(
  policy: { monitoring?: { current: string } | undefined },
  subscribed: string | undefined,
): boolean {
  return (
    subscribed !== undefined &&
    policy.monitoring !== undefined &&
    arrivalPrefix(policy.monitoring.current) === subscribed
  );
}
