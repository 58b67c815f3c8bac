/**
 * The loop's own AWS cost from counted work × public prices: the fleet bench's model of a healthy check (one
 * share of a sweep page) and an estimate of each loop run by the path it took. Pure: counts in, dollars out.
 */
import type { Outcome } from './run.ts';

/** Public on-demand prices, us-east-1, USD (AWS price pages as of 2025; no free tier applied). */
export const PRICES = {
  lambdaGbSecondArm: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  expressRequest: 1.0 / 1e6,
  expressGbSecond: 0.00001667,
  standardTransition: 0.025 / 1000,
  dynamoRru: 0.125 / 1e6,
  dynamoWru: 0.625 / 1e6,
  schedulerInvocation: 1.0 / 1e6,
  s3Get: 0.0004 / 1000,
  s3List: 0.005 / 1000,
  s3Put: 0.005 / 1000,
  logsIngestGb: 0.5,
} as const;

/** Monthly cost of checking `models` healthy models `perDay` times a day, from per-check measurements. */
export function monthlyCost(input: {
  models: number;
  perDay: number;
  pageSize: number;
  rruPerCheck: number;
  wruPerCheck: number;
  /** S3 GET (and HEAD), LIST and PUT requests per check. */
  s3GetsPerCheck?: number;
  s3ListsPerCheck?: number;
  s3PutsPerCheck?: number;
  /** Seconds of one full core per check (measured locally). */
  lambdaSecondsPerCheck: number;
  lambdaMemoryGb: number;
}) {
  // Lambda gives a full vCPU at 1,769 MB and a proportional share below it, so CPU-bound work costs
  // seconds x max(memory, 1.769 GB) whatever the memory setting.
  const billedGb = Math.max(input.lambdaMemoryGb, 1.769);
  const sweeps = input.perDay * 30;
  const checks = input.models * sweeps;
  const pages = Math.ceil(input.models / input.pageSize) * sweeps;
  const sweepSeconds = input.lambdaSecondsPerCheck * input.models; // the Express run lasts as long as its pages
  const lines: [string, string, number][] = [
    ['Lambda requests', `${pages} page invocations`, pages * PRICES.lambdaRequest],
    [
      'Lambda duration',
      `${(checks * input.lambdaSecondsPerCheck * billedGb).toFixed(0)} GB-s (arm64, ${Math.round(input.lambdaMemoryGb * 1024)} MB)`,
      checks * input.lambdaSecondsPerCheck * billedGb * PRICES.lambdaGbSecondArm,
    ],
    ['Step Functions Express requests', `${sweeps} sweeps`, sweeps * PRICES.expressRequest],
    [
      'Step Functions Express duration',
      `${(sweeps * sweepSeconds * 0.0625).toFixed(0)} GB-s (64 MB)`,
      sweeps * sweepSeconds * 0.0625 * PRICES.expressGbSecond,
    ],
    [
      'DynamoDB reads',
      `${(checks * input.rruPerCheck).toFixed(0)} RRU`,
      checks * input.rruPerCheck * PRICES.dynamoRru,
    ],
    [
      'DynamoDB writes',
      `${(checks * input.wruPerCheck).toFixed(0)} WRU`,
      checks * input.wruPerCheck * PRICES.dynamoWru,
    ],
    [
      'S3 requests',
      `${(checks * (input.s3GetsPerCheck ?? 0)).toFixed(0)} GET/HEAD, ${(checks * (input.s3ListsPerCheck ?? 0)).toFixed(0)} LIST, ${(checks * (input.s3PutsPerCheck ?? 0)).toFixed(0)} PUT`,
      checks *
        ((input.s3GetsPerCheck ?? 0) * PRICES.s3Get +
          (input.s3ListsPerCheck ?? 0) * PRICES.s3List +
          (input.s3PutsPerCheck ?? 0) * PRICES.s3Put),
    ],
    ['EventBridge Scheduler', `${sweeps} invocations`, sweeps * PRICES.schedulerInvocation],
    // START/END/REPORT lines (~350 bytes) per Lambda call; steps log only errors at INFO level.
    [
      'CloudWatch Logs',
      `${((pages * 350) / 1e6).toFixed(1)} MB`,
      ((pages * 350) / 1e9) * PRICES.logsIngestGb,
    ],
  ];
  return { checks, lines, total: lines.reduce((sum, [, , cost]) => sum + cost, 0) };
}

/**
 * What one healthy check costs, measured by the fleet bench (`npm run bench -- fleet`: 10,000 models on the
 * embedded stack, read and write units counted on every call): 1.14 read units, a tenth of a write unit (a page's
 * checks share one item), 1.8 ms of one vCPU in the 1,769 MB sweep function (550 checks a second), pages of 100.
 */
export const MEASURED_CHECK = {
  pageSize: 100,
  rruPerCheck: 1.14,
  wruPerCheck: 0.1,
  lambdaSecondsPerCheck: 0.0018,
  lambdaMemoryGb: 1769 / 1024,
} as const;

/** Standard workflow price per state transition (us-east-1). */
export const STANDARD_TRANSITION = PRICES.standardTransition;

/**
 * Work of one improvement-loop run by the path it took (registry target, built-in trainer): state transitions
 * before the verification checks and per check, and the Lambda steps it calls with their memory (MB) and an
 * assumed duration (s). Assumptions, not measurements: SageMaker jobs and endpoints are billed by SageMaker and
 * not counted here.
 */
const STEP = {
  monitor: [1769, 0.3],
  analyze: [256, 0.05],
  train: [1769, 2],
  evaluate: [1024, 1],
  deploy: [256, 0.1],
  verify: [256, 0.2],
  rollback: [256, 0.1],
  record: [256, 0.1],
} as const satisfies Record<string, readonly [number, number]>;
type StepName = keyof typeof STEP;

const PATHS: Record<Outcome, { transitions: number; steps: StepName[]; perCheck: boolean; notify: boolean }> =
  {
    'no-action': { transitions: 5, steps: ['monitor', 'analyze', 'record'], perCheck: false, notify: false },
    watch: { transitions: 5, steps: ['monitor', 'analyze', 'record'], perCheck: false, notify: false },
    blocked: { transitions: 5, steps: ['monitor', 'analyze', 'record'], perCheck: false, notify: false },
    'dry-run': { transitions: 5, steps: ['monitor', 'analyze', 'record'], perCheck: false, notify: false },
    rejected: {
      transitions: 10,
      steps: ['monitor', 'analyze', 'train', 'evaluate', 'record'],
      perCheck: false,
      notify: false,
    },
    promoted: {
      transitions: 12,
      steps: ['monitor', 'analyze', 'train', 'evaluate', 'deploy', 'record'],
      perCheck: true,
      notify: false,
    },
    'rolled-back': {
      transitions: 16,
      steps: ['monitor', 'analyze', 'train', 'evaluate', 'deploy', 'rollback', 'record'],
      perCheck: true,
      notify: true,
    },
    failed: { transitions: 8, steps: ['monitor', 'analyze', 'record'], perCheck: false, notify: true },
    unlocked: { transitions: 0, steps: [], perCheck: false, notify: false },
  };

/** Per-run DynamoDB and S3 work besides the checks: lock, run record, versions, alias (estimate). */
const RUN_IO = { rru: 20, wru: 10, s3Gets: 4, s3Puts: 3 } as const;
const SNS_PUBLISH = 0.5 / 1e6;

/** Estimated cost of one loop run with `outcome` and `checks` verification checks (USD). */
export function runCost(outcome: Outcome, checks = 0): number {
  const path = PATHS[outcome];
  if (path.steps.length === 0) return 0;
  const verifies = path.perCheck ? Math.max(1, checks) : 0;
  const transitions = path.transitions + 3 * verifies; // Bake, Verify, VerifyVerdict per check
  const calls: [number, number][] = path.steps.map((step) => STEP[step] as [number, number]);
  for (let i = 0; i < verifies; i += 1) calls.push(STEP.verify as unknown as [number, number]);
  const lambda = calls.reduce(
    (sum, [memoryMb, seconds]) =>
      sum + PRICES.lambdaRequest + (Math.max(memoryMb, 128) / 1024) * seconds * PRICES.lambdaGbSecondArm,
    0,
  );
  return (
    transitions * STANDARD_TRANSITION +
    lambda +
    RUN_IO.rru * PRICES.dynamoRru +
    RUN_IO.wru * PRICES.dynamoWru +
    RUN_IO.s3Gets * PRICES.s3Get +
    RUN_IO.s3Puts * PRICES.s3Put +
    (path.notify ? SNS_PUBLISH : 0)
  );
}

/** A model's counted work over `days`: its recorded checks and runs (with their verification checks). */
export interface CountedWork {
  days: number;
  checks: number;
  runs: { outcome: Outcome; checks: number }[];
}

/** One model's loop cost per 30-day month, from its counted work scaled to 30 days (USD). */
export interface ModelCost {
  checksPerMonth: number;
  runsPerMonth: number;
  checks: number;
  runs: number;
  total: number;
  /** Runs by outcome per month. */
  byOutcome: Partial<Record<Outcome, number>>;
}

/**
 * The loop's AWS cost for one model per month: each recorded check at the fleet bench's measured cost of a
 * healthy check (`monthlyCost` of one model), each run at `runCost` of the path it took, scaled from `days`
 * to 30.
 */
export function modelMonthlyCost(work: CountedWork): ModelCost {
  const scale = work.days > 0 ? 30 / work.days : 0;
  const perCheck = monthlyCost({ ...MEASURED_CHECK, models: MEASURED_CHECK.pageSize, perDay: 1 / 30 });
  // monthlyCost of one sweep over a full page: per check = total / models, without the per-sweep items.
  const checkCost = perCheckCost(perCheck.lines) / MEASURED_CHECK.pageSize;
  const checks = work.checks * checkCost * scale;
  const byOutcome: Partial<Record<Outcome, number>> = {};
  let runs = 0;
  for (const run of work.runs) {
    runs += runCost(run.outcome, run.checks) * scale;
    byOutcome[run.outcome] = (byOutcome[run.outcome] ?? 0) + scale;
  }
  return {
    checksPerMonth: work.checks * scale,
    runsPerMonth: work.runs.length * scale,
    checks,
    runs,
    total: checks + runs,
    byOutcome,
  };
}

/** The per-check lines of `monthlyCost` (Lambda, DynamoDB, S3): the per-sweep items are the schedule's, not a model's. */
function perCheckCost(lines: [string, string, number][]): number {
  const perCheck = new Set([
    'Lambda requests',
    'Lambda duration',
    'DynamoDB reads',
    'DynamoDB writes',
    'S3 requests',
  ]);
  return lines.filter(([item]) => perCheck.has(item)).reduce((sum, [, , cost]) => sum + cost, 0);
}
