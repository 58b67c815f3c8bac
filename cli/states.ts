import { type Attention, attention, byUrgency } from '#domain/attention.ts';
import type { RunRecord } from '#domain/record.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { getChampions } from '#stores/champion.ts';
import { latestChecks, type RecordedCheck, readChecksOn } from '#stores/checks.ts';
import { getLocks } from '#stores/lock.ts';
import { listModelIds } from '#stores/registered.ts';
import { getLatestRuns, listRuns } from '#stores/runs.ts';
import { listPendingTasks } from '#stores/tasks.ts';
import type { SweepResult } from './backend.ts';
import { recentDays } from './options.ts';

/**
 * One model in `kaizen status --json` and the fleet report; the shape is stable: every key is always present
 * (null when there is nothing), and `state` is one of `MODEL_STATES`.
 */
export interface ModelStatus extends Attention {
  champion: { version: number; since: string } | null;
  lastCheck: Pick<RecordedCheck, 'checkedAt' | 'source' | 'action' | 'summary'> | null;
  lastRun: Pick<RunRecord, 'asOf' | 'finishedAt' | 'outcome' | 'summary' | 'executionName'> | null;
}

/**
 * Runs read to find the newest loop run of a model registered before latest runs were kept (a lock released by hand
 * is recorded as a run too).
 */
const RUNS_READ = 3;

/** Every registered model's state and next step, worst first (reads: models, champions, locks, checks, tasks, runs). */
export async function modelStates(ctx: KaizenContext, now = new Date()): Promise<ModelStatus[]> {
  const ids = await listModelIds(ctx);
  const [champions, locks, latestRuns, checks, tasks] = await Promise.all([
    getChampions(ctx, ids),
    getLocks(ctx, ids),
    getLatestRuns(ctx, ids),
    latestChecks(ctx, recentDays(2)),
    listPendingTasks(ctx),
  ]);
  const approvals = new Map(
    tasks.filter((task) => task.kind === 'approval').map((task) => [task.modelId, task] as const),
  );
  const rows = await Promise.all(
    ids.map(async (modelId): Promise<ModelStatus> => {
      const lock = locks.get(modelId) ?? null;
      const lastRun = latestRuns.has(modelId)
        ? (latestRuns.get(modelId) ?? null)
        : ((await listRuns(ctx, modelId, RUNS_READ)).find((run) => run.outcome !== 'unlocked') ?? null);
      const champion = champions.get(modelId) ?? null;
      const check = checks.get(modelId) ?? null;
      const approval = approvals.get(modelId);
      const candidate = (approval?.request as { candidate?: { version?: number } } | undefined)?.candidate
        ?.version;
      const state = attention({
        modelId,
        now: now.toISOString(),
        champion,
        lastRun,
        lastCheck: check,
        lock,
        approval: approval
          ? {
              executionName: approval.executionName,
              requestedAt: approval.requestedAt,
              deadline: approval.deadline,
              ...(candidate === undefined ? {} : { candidate }),
            }
          : null,
      });
      return {
        ...state,
        champion: champion ? { version: champion.version, since: champion.since } : null,
        lastCheck: check
          ? { checkedAt: check.checkedAt, source: check.source, action: check.action, summary: check.summary }
          : null,
        lastRun: lastRun
          ? {
              asOf: lastRun.asOf,
              finishedAt: lastRun.finishedAt,
              outcome: lastRun.outcome,
              summary: lastRun.summary,
              executionName: lastRun.executionName,
            }
          : null,
      };
    }),
  );
  return byUrgency(rows);
}

/**
 * The models a sweep did not find healthy, worst first: each one's check from this sweep (checked at `at`, or
 * since `at` when the sweep ran as of now), judged with the record of the loop it started, if any.
 */
export async function sweepAttention(
  ctx: KaizenContext,
  at: string,
  exact: boolean,
  result: Pick<SweepResult, 'loops'>,
): Promise<Attention[]> {
  const days = [...new Set([at.slice(0, 10), new Date().toISOString().slice(0, 10)])];
  const checks = (await readChecksOn(ctx, days)).filter(
    (check) => check.source === 'sweep' && (exact ? check.checkedAt === at : check.checkedAt >= at),
  );
  const latest = new Map<string, RecordedCheck>();
  for (const check of checks) if (!latest.has(check.modelId)) latest.set(check.modelId, check);
  const finished = new Map(
    result.loops.flatMap((loop) => (loop.record ? [[loop.record.executionName, loop.record] as const] : [])),
  );
  const now = new Date().toISOString();
  // A loop this sweep started ran after its check: its record (from the loop, or the store when the execution
  // ended in a failure state) is the newer word.
  const items = await Promise.all(
    [...latest.values()].map(async (check) => {
      const execution = check.execution;
      const run = execution
        ? (finished.get(execution) ??
          (await listRuns(ctx, check.modelId, RUNS_READ)).find((r) => r.executionName === execution) ??
          null)
        : null;
      return attention({
        modelId: check.modelId,
        now,
        champion: null,
        lastCheck: run ? null : check,
        lastRun: run,
      });
    }),
  );
  return byUrgency(items.filter((item) => item.needsAttention));
}
