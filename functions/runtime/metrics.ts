import { type KaizenMetric, METRICS } from '#contracts/metrics.ts';
import { metrics } from './handler.ts';

/** The dimension values a catalogue metric takes (beside `service`). */
export type DimensionsOf<N extends KaizenMetric> = Record<(typeof METRICS)[N]['dimensions'][number], string>;

/**
 * Publishes one metric of the catalogue (`functions/contracts/metrics.ts`) with exactly its dimensions, as one
 * EMF line of its own: metrics buffered together would share one dimension set, so each goes alone.
 */
export function publishMetric<N extends KaizenMetric>(
  name: N,
  value: number,
  ...[dimensions]: keyof DimensionsOf<N> extends never ? [] : [DimensionsOf<N>]
): void {
  const spec = METRICS[name];
  const single = metrics.singleMetric();
  for (const dimension of spec.dimensions) {
    const text = (dimensions as Record<string, string> | undefined)?.[dimension];
    if (text === undefined) throw new Error(`metric ${name} needs its ${dimension} dimension`);
    single.addDimension(dimension, text);
  }
  single.addMetric(name, spec.unit, value);
}
