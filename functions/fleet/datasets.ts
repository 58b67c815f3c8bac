/**
 * The dataset side of checking a page of models: which windows' datasets exist (one LIST per shared folder of
 * the page instead of a GET per model) and how many dataset reads run at once (by estimated memory).
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ObjectNotFoundError } from '#contracts/errors.ts';
import { datasetReadBudget, fitsDeadline, MemoryAdmission } from '#domain/admission.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { headObject } from '#stores/objects.ts';
import type { DatasetGate } from '../monitor/datasets.ts';
import { AdmissionQueue } from './pool.ts';

/** A LIST costs 12.5 GETs (S3 Standard): a folder is listed when it holds at least this many of the page's keys. */
export const LIST_MIN_KEYS = 13;

/** Longest common prefix of sorted keys (first and last suffice). */
function commonPrefix(sorted: readonly string[]): string {
  const first = sorted[0] ?? '';
  const last = sorted[sorted.length - 1] ?? '';
  let i = 0;
  while (i < first.length && first[i] === last[i]) i++;
  return first.slice(0, i);
}

/** A page's gate: counts of S3 requests it made, and the most memory it admitted at once. */
export interface PageDatasetGate extends DatasetGate {
  readonly requests: { list: number; head: number };
  readonly queue: AdmissionQueue;
  /** Models whose dataset read was left to a later check: it would not have ended before the deadline. */
  deferred: number;
}

/** Limits of the function running the page. */
export interface PageLimits {
  memoryMb: number;
  /** Instant (ms) by which every dataset read must have ended. @default none */
  deadline?: number;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The dataset gate of one page: `keys` are the window datasets the page's models may read. Keys sharing a folder
 * with at least {@link LIST_MIN_KEYS} others are looked up with one LIST (paginated) of their common prefix, at
 * the first lookup; the others with a HEAD each, only when asked (a model whose window is already computed asks
 * nothing). Reads are admitted while their estimates fit the memory of the function (`memoryMb`), and only
 * when their estimated time still ends before `deadline` (otherwise the model is checked on its KPIs and its
 * window's drift is computed by a later check).
 */
export function pageDatasetGate(
  ctx: KaizenContext,
  keys: readonly string[],
  limits: PageLimits,
): PageDatasetGate {
  const now = limits.now ?? Date.now;
  const folders = new Map<string, string[]>();
  for (const key of new Set(keys)) {
    const folder = key.slice(0, key.lastIndexOf('/') + 1);
    folders.set(folder, [...(folders.get(folder) ?? []), key]);
  }
  const listed = new Map<string, Promise<Map<string, number>>>();
  const prefixOf = new Map<string, string>();
  for (const group of folders.values()) {
    if (group.length < LIST_MIN_KEYS) continue;
    const prefix = commonPrefix([...group].sort());
    for (const key of group) prefixOf.set(key, prefix);
  }
  const heads = new Map<string, Promise<number | undefined>>();
  const requests = { list: 0, head: 0 };
  let pending = 0;

  const list = async (prefix: string): Promise<Map<string, number>> => {
    const sizes = new Map<string, number>();
    let token: string | undefined;
    do {
      requests.list++;
      const page = await ctx.s3.send(
        new ListObjectsV2Command({ Bucket: ctx.config.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) sizes.set(object.Key, object.Size ?? 0);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return sizes;
  };
  const head = async (key: string): Promise<number | undefined> => {
    requests.head++;
    try {
      return (await headObject(ctx, key, 'dataset')).size;
    } catch (error) {
      if (error instanceof ObjectNotFoundError) return undefined;
      throw error;
    }
  };

  return {
    requests,
    deferred: 0,
    queue: new AdmissionQueue(new MemoryAdmission(datasetReadBudget(limits.memoryMb))),
    find(key) {
      const prefix = prefixOf.get(key);
      if (prefix !== undefined) {
        let sizes = listed.get(prefix);
        if (!sizes) {
          sizes = list(prefix);
          listed.set(prefix, sizes);
        }
        return sizes.then((found) => found.get(key));
      }
      let size = heads.get(key);
      if (!size) {
        size = head(key);
        heads.set(key, size);
      }
      return size;
    },
    async run(estimate, work, otherwise) {
      // Reads in flight share the CPU: one admitted now ends after theirs too.
      const late = () =>
        limits.deadline !== undefined && !fitsDeadline(now(), pending + estimate.seconds, limits.deadline);
      if (late()) {
        this.deferred++;
        return otherwise;
      }
      // Checked again once admitted: waiting for memory takes time too.
      return this.queue.run(estimate.bytes, async () => {
        if (late()) {
          this.deferred++;
          return otherwise;
        }
        pending += estimate.seconds;
        try {
          return await work();
        } finally {
          pending -= estimate.seconds;
        }
      });
    },
  };
}
