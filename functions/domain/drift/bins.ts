import { EmptySampleError } from '#contracts/errors.ts';
import { lowerBound, type NumericInput, quantileSorted, sortSample, upperBound } from './sample.ts';

/** Default number of quantile bins fixed on the reference. */
export const DEFAULT_BIN_COUNT = 10;

/**
 * Quantile bins fixed on a reference sample, reused for every later window so that their scores are
 * comparable. Edges are the reference minimum, its `k/bins` quantiles (numpy `linear`) and its maximum,
 * deduplicated; with edges e_0 < ... < e_K the bins are, in order:
 *
 * - an underflow bin `x < e_0` (empty for the reference itself),
 * - `[e_i, e_{i+1})` for i < K - 1 and a last closed bin `[e_{K-1}, e_K]` (a single `[e_0, e_0]` bin
 *   when the reference is constant),
 * - an overflow bin `x > e_K` (empty for the reference itself).
 */
export interface Bins {
  /** Deduplicated ascending edges e_0..e_K (at least one). */
  readonly edges: Float64Array;
  /** Number of bins including the two overflow bins: max(K, 1) + 2. */
  readonly size: number;
  /** Counts of the reference in each bin (same layout as {@link binCounts}). */
  readonly referenceCounts: Float64Array;
}

/**
 * Fixes quantile bins on a reference sample (missing and infinite values are ignored).
 * @throws EmptySampleError when the reference has no finite value.
 */
export function buildBins(reference: NumericInput, bins = DEFAULT_BIN_COUNT): Bins {
  return buildBinsSorted(sortSample(reference).sorted, bins);
}

/** {@link buildBins} for a reference that is already finite and sorted ascending. */
export function buildBinsSorted(sorted: Float64Array, bins = DEFAULT_BIN_COUNT): Bins {
  if (sorted.length === 0) throw new EmptySampleError('reference');
  if (!Number.isInteger(bins) || bins < 1)
    throw new RangeError(`bins must be a positive integer, got ${bins}`);
  const raw = new Float64Array(bins + 1);
  raw[0] = sorted[0] as number;
  for (let k = 1; k < bins; k++) raw[k] = quantileSorted(sorted, k / bins);
  raw[bins] = sorted[sorted.length - 1] as number;
  // Interpolated quantiles can tie or, by one rounding, step back: sort, then keep distinct edges.
  raw.sort();
  const distinct: number[] = [];
  for (const edge of raw)
    if (distinct.length === 0 || edge !== distinct[distinct.length - 1]) distinct.push(edge);
  const edges = Float64Array.from(distinct);
  const size = Math.max(edges.length - 1, 1) + 2;
  const layout = { edges, size };
  return { ...layout, referenceCounts: binCountsSorted(layout, sorted) };
}

/** Counts of an ascending sample in each bin: `[underflow, bin_0, ..., bin_{K-1}, overflow]`. */
export function binCountsSorted(bins: Pick<Bins, 'edges' | 'size'>, sorted: Float64Array): Float64Array {
  const { edges, size } = bins;
  const counts = new Float64Array(size);
  const last = edges.length - 1;
  const first = edges[0] as number;
  const top = edges[last] as number;
  const below = lowerBound(sorted, first);
  const atOrBelowTop = upperBound(sorted, top);
  counts[0] = below;
  counts[size - 1] = sorted.length - atOrBelowTop;
  if (last === 0) {
    counts[1] = atOrBelowTop - below;
    return counts;
  }
  let start = below;
  for (let i = 0; i < last - 1; i++) {
    const end = lowerBound(sorted, edges[i + 1] as number);
    counts[i + 1] = end - start;
    start = end;
  }
  counts[last] = atOrBelowTop - start;
  return counts;
}

/** Counts of any (unsorted) sample in each bin; O(n log K). Missing and infinite values are skipped. */
export function binCounts(bins: Pick<Bins, 'edges' | 'size'>, values: ArrayLike<number>): Float64Array {
  const { edges, size } = bins;
  const counts = new Float64Array(size);
  const last = edges.length - 1;
  const first = edges[0] as number;
  const top = edges[last] as number;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!(v - v === 0)) continue;
    if (v < first) counts[0] = (counts[0] as number) + 1;
    else if (v > top) counts[size - 1] = (counts[size - 1] as number) + 1;
    else {
      const slot = Math.min(upperBound(edges, v) - 1, Math.max(last - 1, 0));
      counts[slot + 1] = (counts[slot + 1] as number) + 1;
    }
  }
  return counts;
}
