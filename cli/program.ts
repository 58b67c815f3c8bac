import { readFileSync } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { Observation } from '#domain/observations.ts';
import { formatIssues, PolicyError, parsePolicy } from '#domain/policy.ts';
import type { RunRecord } from '#domain/record.ts';
import { parseRunInput } from '#domain/run.ts';
import { putBytes, sha256 } from '#shared/artifacts.ts';
import { latestChecks, listChecks } from '#shared/checks.ts';
import { putObservations } from '#shared/metrics-store.ts';
import {
  aliasHistory,
  getChampion,
  getPolicy,
  listModels,
  listVersions,
  putPolicy,
} from '#shared/registry.ts';
import { listRuns } from '#shared/runs.ts';
import { SweepInputSchema } from '../functions/sweep/sweep.ts';
import { triggerFromRecords } from '../functions/trigger/trigger.ts';
import { awsBackend, type Backend, type LoopResult, localBackend } from './backend.ts';
import { registerDriftCommand } from './drift.ts';
import { shortTime, table, version } from './format.ts';
import { ingestRows, readRows, streamRecords } from './ingest.ts';
import { type Io, UsageError } from './io.ts';
import { executionName } from './names.ts';

const VERSION = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }
).version;

interface GlobalOptions {
  json?: boolean;
  stack?: string;
  home?: string;
  verbose?: boolean;
}

/** The local state folder: `--home`, else `KAIZEN_HOME`, else `.kaizen` in the working directory. */
export function kaizenHome(option?: string): string {
  return resolve(option ?? process.env.KAIZEN_HOME ?? '.kaizen');
}

/** The last `count` UTC dates (YYYY-MM-DD), today first: the partitions of recorded checks. */
function recentDays(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10),
  );
}

function wholeNumber(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`${option} must be a whole number, got "${text}"`);
  return value;
}

function positiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${option} must be a positive integer, got "${text}"`);
  return value;
}

/** Line and column of a JSON.parse error position, for messages that say where. */
function jsonError(path: string, text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message);
  if (!position) return `${path}: invalid JSON: ${error.message}`;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${path}:${line}:${column}: invalid JSON: ${error.message}`;
}

async function withBackend<T>(options: GlobalOptions, work: (backend: Backend) => Promise<T>): Promise<T> {
  const stack = options.stack ?? process.env.KAIZEN_STACK;
  const backend = stack
    ? await awsBackend(stack)
    : await localBackend(kaizenHome(options.home), options.verbose ? 'INFO' : 'SILENT');
  try {
    return await work(backend);
  } finally {
    await backend.close();
  }
}

function printLoop(io: Io, result: LoopResult): void {
  if (result.record) printRun(io, result.record);
  else io.err(`execution ${result.executionName} failed: ${result.error?.name}: ${result.error?.cause}`);
}

function printRun(io: Io, record: RunRecord): void {
  io.out(`${record.modelId}: ${record.outcome} (execution ${record.executionName})`);
  io.out(`  ${record.summary}`);
  io.out(`  champion ${version(record.championBefore)} -> ${version(record.championAfter)}`);
  const observed = record.observed;
  if (observed) {
    const kpis = observed.kpis.map((kpi) => `${kpi.metric} ${kpi.value.toPrecision(4)} (n=${kpi.count})`);
    io.out(
      `  window ${shortTime(observed.window.start)} .. ${shortTime(observed.window.end)}: ${kpis.join(', ') || 'no KPIs'}`,
    );
    if (observed.drift.length > 0) {
      const drift = observed.drift.map(
        (d) => `${d.feature} ${d.score.toPrecision(3)}${d.drifted ? ' (drifted)' : ''}`,
      );
      io.out(`  drift (${observed.drift[0]?.method}): ${drift.join(', ')}`);
    }
    if (observed.quality) {
      const failures = observed.quality.failures;
      io.out(`  data quality ${observed.quality.passed ? 'passed' : `failed: ${failures.join('; ')}`}`);
    }
  }
  // Breach marks only mean something when the rules were applied to this window.
  const judged = record.decision?.action !== 'none' || record.decision?.summary.startsWith('healthy');
  for (const reason of record.decision?.reasons ?? []) {
    io.out(`  ${judged && reason.breached ? '!' : ' '} ${reason.message}`);
  }
}

/** The run record of an execution that failed, which says why (the execution's own error is generic). */
async function failedRunRecord(modelId: string, name: string): Promise<RunRecord | undefined> {
  return (await listRuns(modelId, 10)).find((run) => run.executionName === name);
}

/** Builds the `kaizen` command line; `run` resolves to the exit code. */
export function buildProgram(io: Io): { program: Command; exitCode: () => number } {
  let exitCode = 0;
  const program = new Command('kaizen')
    .description('Kaizen Loop: monitor, analyze, retrain, gate, deploy, verify and roll back ML models.')
    .version(VERSION, '-V, --version')
    .option('--json', 'print JSON for scripts')
    .option('--stack <name>', 'act on a deployed stack (default: the local stack; env KAIZEN_STACK)')
    .option('--home <dir>', 'local state folder (default: KAIZEN_HOME or .kaizen)')
    .option('--verbose', 'show the steps’ structured logs')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    });
  const globals = () => program.opts<GlobalOptions>();

  const models = program.command('models').description('register models and their policies');
  models
    .command('put')
    .argument('<policy.json>', 'policy file')
    .description('register a model or replace its policy (validated; errors name the field)')
    .action(async (path: string) => {
      const text = await readFile(path, 'utf8').catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch (error) {
        throw new UsageError(jsonError(path, text, error as Error));
      }
      const policy = parsePolicy(document, path);
      await withBackend(globals(), () => putPolicy(policy));
      if (globals().json) io.out(JSON.stringify({ registered: policy.modelId, policy }));
      else io.out(`registered ${policy.modelId}`);
    });
  models
    .command('list')
    .description('list registered models with their champions')
    .action(async () => {
      const rows = await withBackend(globals(), async () => {
        const entries = await listModels();
        return Promise.all(
          entries.map(async (entry) => ({ ...entry, champion: await getChampion(entry.modelId) })),
        );
      });
      if (globals().json) return io.out(JSON.stringify(rows));
      io.out(
        table(
          ['MODEL', 'CHAMPION', 'WINDOW', 'KPIS', 'DRIFT', 'UPDATED'],
          rows.map((row) => [
            row.modelId,
            version(row.champion?.version),
            row.policy.window,
            row.policy.kpis.map((kpi) => kpi.metric).join(',') || '-',
            row.policy.monitoring
              ? `${row.policy.monitoring.features.length} features from datasets`
              : row.policy.drift
                ? `scores <= ${row.policy.drift.maxScore}`
                : undefined,
            shortTime(row.updatedAt),
          ]),
        ),
      );
    });

  program
    .command('upload')
    .argument('<file>', 'local file (CSV, JSON Lines or Parquet)')
    .argument('<key>', 'object key in the artifacts bucket, e.g. datasets/churn/train.csv')
    .description('put a dataset into the artifacts bucket (training data, holdouts, monitoring windows)')
    .action(async (path: string, key: string) => {
      const body = await readFile(path).catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      await withBackend(globals(), () => putBytes(key, body));
      if (globals().json) io.out(JSON.stringify({ uploaded: key, bytes: body.length, sha256: sha256(body) }));
      else io.out(`uploaded ${path} to ${key} (${body.length} bytes, sha256 ${sha256(body).slice(0, 12)})`);
    });

  program
    .command('ingest')
    .argument('<file>', 'JSON Lines (.jsonl) or CSV (.csv) of KPI observations and drift scores')
    .description('load observations; bad rows are reported with their line and nothing valid is lost')
    .action(async (path: string) => {
      await access(path).catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      const result = await withBackend(globals(), async (backend) => {
        const known = new Set((await listModels()).map((model) => model.modelId));
        const stored: Observation[] = [];
        const ingest = await ingestRows(readRows(path), known, async (batch) => {
          await putObservations(batch);
          // On AWS the table's stream feeds the trigger; locally the written records are handed to it directly.
          if (backend.local) stored.push(...batch);
        });
        const checks =
          backend.local && stored.length > 0
            ? await triggerFromRecords(streamRecords(stored), `ingest-${Date.now()}`)
            : [];
        return { ...ingest, checks, loops: await backend.drain() };
      });
      if (globals().json) io.out(JSON.stringify({ file: path, ...result }));
      else {
        io.out(`${path}: stored ${result.stored} rows, rejected ${result.rejected.length}`);
        for (const row of result.rejected) io.err(`${path}:${row.line}: ${row.reason}`);
        for (const check of result.checks.filter((c) => c.action !== 'none')) {
          io.out(
            `${check.modelId}: ${check.summary}${check.start ? ` [loop ${check.start}: ${check.execution}]` : ''}`,
          );
        }
        for (const loop of result.loops) printLoop(io, loop);
      }
      if (result.rejected.length > 0) exitCode = 1;
    });

  program
    .command('run')
    .description('start the improvement loop for one model and print the outcome')
    .requiredOption('--model <id>', 'model id')
    .option('--force', 'retrain even if the policy says the model is healthy')
    .option('--dry-run', 'decide and record, but do not retrain')
    .option('--as-of <timestamp>', 'evaluate as of this ISO-8601 instant (default: now)')
    .action(async (options: { model: string; force?: boolean; dryRun?: boolean; asOf?: string }) => {
      const input = parseRunInput({
        modelId: options.model,
        force: options.force ?? false,
        dryRun: options.dryRun ?? false,
        ...(options.asOf ? { asOf: options.asOf } : {}),
      });
      const result = await withBackend(globals(), async (backend) => {
        await getPolicy(input.modelId); // an unknown model is a usage error, before anything starts
        const loop = await backend.runLoop(input, executionName('manual', input.modelId));
        const failed = loop.record ? undefined : await failedRunRecord(input.modelId, loop.executionName);
        return failed ? { ...loop, record: failed } : loop;
      });
      if (globals().json) io.out(JSON.stringify(result));
      else if (result.record) printRun(io, result.record);
      else
        io.err(
          `${input.modelId}: execution ${result.executionName} failed: ${result.error?.name}: ${result.error?.cause}`,
        );
      if (result.status !== 'SUCCEEDED') exitCode = 1;
    });

  program
    .command('sweep')
    .description(
      'check every registered model against its policy and start loops where needed (what the schedule runs)',
    )
    .option('--at <timestamp>', 'sweep as of this ISO-8601 instant (default: now)')
    .option('--page-size <n>', 'models per page (one Lambda call each)', '100')
    .action(async (options: { at?: string; pageSize: string }) => {
      const input = {
        pageSize: positiveInteger('--page-size', options.pageSize),
        ...(options.at ? { at: options.at } : {}),
      };
      const checked = SweepInputSchema.safeParse(input);
      if (!checked.success)
        throw new UsageError(`invalid sweep input: ${formatIssues(checked.error).join('; ')}`);
      const result = await withBackend(globals(), (backend) =>
        backend.runSweep(input, executionName('sweep', 'fleet')),
      );
      if (globals().json) io.out(JSON.stringify(result));
      else if (result.totals) {
        const t = result.totals;
        io.out(
          `swept ${t.models} models in ${result.pages} pages: ${t.none} healthy, ${t.watch} watch, ${t.retrain} retrain ` +
            `(${t.started} loops started, ${t.duplicates} already started for their window), ${t.blocked} blocked`,
        );
        for (const loop of result.loops) printLoop(io, loop);
      } else io.err(`sweep ${result.executionName} failed: ${result.error?.name}: ${result.error?.cause}`);
      if (result.status !== 'SUCCEEDED' || result.loops.some((loop) => loop.status !== 'SUCCEEDED'))
        exitCode = 1;
    });

  program
    .command('history')
    .description("a model's run records with the reasons for each decision")
    .requiredOption('--model <id>', 'model id')
    .option('--limit <n>', 'most recent runs to show', '20')
    .option('--checks <days>', 'also show sweep and event checks of the last N days (UTC)', '0')
    .action(async (options: { model: string; limit: string; checks: string }) => {
      const limit = positiveInteger('--limit', options.limit);
      const days = recentDays(wholeNumber('--checks', options.checks));
      const { runs, checks } = await withBackend(globals(), async () => ({
        // Fetched newest-started first, shown in as-of order so replays of past windows fall into place.
        runs: (await listRuns(options.model, limit)).sort(
          (a, b) => b.asOf.localeCompare(a.asOf) || b.startedAt.localeCompare(a.startedAt),
        ),
        checks: await listChecks(options.model, days),
      }));
      if (globals().json) return io.out(JSON.stringify(days.length > 0 ? { runs, checks } : runs));
      for (const check of checks) {
        io.out(
          `${shortTime(check.checkedAt)}  check (${check.source}) as of ${shortTime(check.asOf)}: ${check.summary}${check.start ? ` [${check.start}]` : ''}`,
        );
      }
      if (runs.length === 0) return io.out(`no runs recorded for ${options.model}`);
      for (const run of runs) {
        io.out(
          `${shortTime(run.asOf)}  ${run.outcome.padEnd(11)}  ${version(run.championBefore)} -> ${version(run.championAfter)}  ${run.summary}`,
        );
        for (const reason of run.decision?.reasons ?? []) {
          if (reason.breached) io.out(`    ! ${reason.message}`);
        }
      }
    });

  program
    .command('versions')
    .description("a model's versions with their lineage, and which version served when")
    .requiredOption('--model <id>', 'model id')
    .action(async (options: { model: string }) => {
      const { versions, aliases } = await withBackend(globals(), async () => ({
        versions: await listVersions(options.model),
        aliases: await aliasHistory(options.model),
      }));
      if (globals().json) return io.out(JSON.stringify({ versions, aliases }));
      if (versions.length === 0) return io.out(`no versions of ${options.model}`);
      io.out(
        table(
          [
            'VERSION',
            'STATUS',
            'PARENT',
            'TRAINED AS OF',
            'ROWS',
            'DATASET SHA-256',
            'TRAIN AUC',
            'EXECUTION',
          ],
          versions.map((v) => [
            version(v.version),
            v.status,
            version(v.parentVersion),
            shortTime(v.trainedAsOf),
            v.dataset.rows,
            v.dataset.sha256.slice(0, 12),
            v.trainingMetrics.auc.toFixed(4),
            v.executionName,
          ]),
        ),
      );
      io.out('\nchampion alias (serving from, moved at):');
      for (const change of aliases) {
        io.out(
          `  ${shortTime(change.since)}  ${version(change.previousVersion)} -> ${version(change.version)}  ` +
            `${change.reason} (moved ${shortTime(change.at)} by ${change.executionName})`,
        );
      }
    });

  program
    .command('status')
    .description('models, their champion versions and last decisions')
    .action(async () => {
      const rows = await withBackend(globals(), async () => {
        const entries = await listModels();
        const checks = await latestChecks(recentDays(2));
        return Promise.all(
          entries.map(async ({ modelId }) => ({
            modelId,
            champion: await getChampion(modelId),
            lastRun: (await listRuns(modelId, 1))[0] ?? null,
            lastCheck: checks.get(modelId) ?? null,
          })),
        );
      });
      if (globals().json) return io.out(JSON.stringify(rows));
      io.out(
        table(
          ['MODEL', 'CHAMPION', 'SINCE', 'LAST CHECK', 'LAST RUN', 'OUTCOME', 'SUMMARY'],
          rows.map((row) => [
            row.modelId,
            version(row.champion?.version),
            shortTime(row.champion?.since),
            row.lastCheck ? `${shortTime(row.lastCheck.checkedAt)} ${row.lastCheck.action}` : undefined,
            shortTime(row.lastRun?.asOf),
            row.lastRun?.outcome,
            row.lastRun?.summary,
          ]),
        ),
      );
    });

  registerDriftCommand(program, io, () => {
    exitCode = 1;
  });

  program
    .command('demo')
    .description(
      'closed-loop simulation on a fresh local stack: a churn model, a market change, the loop fixing it',
    )
    .option('--days <n>', 'simulated days', '30')
    .option('--shift-day <n>', 'day the world changes', '12')
    .option('--seed <n>', 'random seed', '7')
    .action(async (options: { days: string; shiftDay: string; seed: string }) => {
      // Loaded on demand: the simulation is only needed by this command.
      const { DEMO_DEFAULTS, runDemo } = await import('./demo/demo.ts');
      const { formatDay, formatSummary } = await import('./demo/timeline.ts');
      const home = resolve(kaizenHome(globals().home), 'demo');
      const demoOptions = {
        ...DEMO_DEFAULTS,
        home,
        days: positiveInteger('--days', options.days),
        shiftDay: positiveInteger('--shift-day', options.shiftDay),
        seed: positiveInteger('--seed', options.seed),
      };
      if (demoOptions.shiftDay >= demoOptions.days) {
        throw new UsageError(
          `--shift-day ${demoOptions.shiftDay} must come before the last day (--days ${demoOptions.days})`,
        );
      }
      const json = globals().json;
      if (!json) {
        io.out(
          `Kaizen Loop demo: a churn model picks the riskiest ${DEMO_DEFAULTS.targetShare * 100}% of ` +
            `${DEMO_DEFAULTS.customersPerDay} customers a day for a retention offer; KPI = precision of the offers.`,
        );
        io.out(`The market changes on day ${demoOptions.shiftDay}. Local stack state: ${home}\n`);
      }
      const result = await runDemo(demoOptions, io, (day) => {
        if (!json) io.out(formatDay(day, demoOptions.shiftDay));
      });
      if (json) io.out(JSON.stringify(result));
      else io.out(formatSummary(result, home));
      if (!result.recovered) exitCode = 1;
    });

  return { program, exitCode: () => exitCode };
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const { program, exitCode } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UsageError) {
      io.err(`kaizen: ${error.message}`);
      return error.exitCode;
    }
    const name = (error as Error).name;
    if (error instanceof PolicyError || name === 'InvalidInputError' || name === 'ModelNotFoundError') {
      io.err(`kaizen: ${(error as Error).message}`);
      return 2;
    }
    io.err(`kaizen: ${(error as Error).name}: ${(error as Error).message}`);
    return 1;
  }
}
