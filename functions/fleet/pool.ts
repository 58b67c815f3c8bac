import type { MemoryAdmission } from '#domain/admission.ts';

/** Maps `items` through `work` with at most `limit` calls in flight, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let index = next++; index < items.length; index = next++)
      results[index] = await work(items[index] as T);
  });
  await Promise.all(lanes);
  return results;
}

/** Runs work under a {@link MemoryAdmission}: a call waits until its cost fits, then holds it until it ends. */
export class AdmissionQueue {
  private readonly waiting: (() => void)[] = [];
  /** Most bytes admitted at once, and most reads at once. */
  peakBytes = 0;
  peakReads = 0;
  private reads = 0;

  constructor(private readonly admission: MemoryAdmission) {}

  async run<R>(cost: number, work: () => Promise<R>): Promise<R> {
    while (!this.admission.tryAdmit(cost)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.reads++;
    this.peakBytes = Math.max(this.peakBytes, this.admission.used);
    this.peakReads = Math.max(this.peakReads, this.reads);
    try {
      return await work();
    } finally {
      this.reads--;
      this.admission.release(cost);
      // Every waiter tries again; those that still do not fit wait for the next release.
      for (const wake of this.waiting.splice(0)) wake();
    }
  }
}
