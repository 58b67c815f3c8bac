import type { SFNClient } from '@aws-sdk/client-sfn';
import { LocalHomeError } from '#contracts/errors.ts';
import { FLEET_SWEEP_ASL, IMPROVEMENT_LOOP_ASL } from '#contracts/workflows.ts';
import type { Observation } from '#domain/observations.ts';
import type { RunRecord } from '#domain/record.ts';
import type { ModelCheck, RunInput } from '#domain/run.ts';
import type { SweepState } from '#domain/sweep.ts';
import type { LocalEngine, LocalEngineOptions, LocalRunOptions } from '#local/engine.ts';
import { LOCAL_REGION } from '#local/lambda-context.ts';
import { PROJECT_ROOT } from '#local/root.ts';
import { attachLocalStack, LOCAL_CREDENTIALS, type LocalStack, startLocalStack } from '#local/stack.ts';
import type { KaizenContext } from '#runtime/context.ts';

/** How an improvement-loop execution ended. */
export interface LoopResult {
  executionName: string;
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  record?: RunRecord;
  error?: { name: string; cause: string };
}

/** How a fleet sweep ended, with the loops it started (locally they are awaited; on AWS they run on). */
export interface SweepResult {
  executionName: string;
  status: string;
  totals?: SweepState['totals'];
  pages?: number;
  error?: { name: string; cause: string };
  loops: LoopResult[];
  /** Executions the sweep went on in after its first ran out of time (locally awaited). */
  continuedIn?: string[];
}

/** Where the CLI's commands act: the embedded local stack or a deployed stack. */
export interface Backend {
  readonly description: string;
  readonly local: boolean;
  /** The stores' context: clients and names of the backend's tables and bucket. */
  readonly ctx: KaizenContext;
  /** Step Functions, for answering callback tasks (locally: the running stack's loopback API). */
  states(): Promise<SFNClient>;
  runLoop(input: RunInput, executionName: string, options?: LocalRunOptions): Promise<LoopResult>;
  /** Runs the fleet sweep, as the schedule does. */
  runSweep(input: Record<string, unknown>, executionName: string): Promise<SweepResult>;
  /** Waits for loops started in the background (by a sweep or a trigger) and returns their results. */
  drain(): Promise<LoopResult[]>;
  /**
   * What happens after observations were stored: on AWS the metrics table's stream feeds the trigger
   * function (nothing to do here); locally the same trigger code runs on stream-shaped records of them.
   */
  stored(observations: readonly Observation[]): Promise<ModelCheck[]>;
  /**
   * The command is being stopped (SIGINT, SIGTERM). Locally the loops run in this process: they are aborted,
   * an unverified alias move is taken back, each run is recorded as failed and its lock released. On AWS the
   * executions go on without the CLI; nothing to do.
   */
  interrupt(reason: string): Promise<RunRecord[]>;
  close(): Promise<void>;
}

/** The embedded stack: dynalite + s3rver on loopback, state machine run in-process. */
export async function localBackend(
  home: string,
  logLevel = 'SILENT',
  engineOptions: Pick<LocalEngineOptions, 'wrapHandler'> = {},
  access: { shared?: boolean } = {},
): Promise<Backend & { stack: LocalStack }> {
  // A read-only command uses the stack of a command running on the same home (`kaizen serve`, a run): at once
  // when one is published, or after its own start found the home taken by a command still starting.
  const running = access.shared ? await attachLocalStack(home).catch(() => undefined) : undefined;
  const stack =
    running ??
    (await startLocalStack({ home, logLevel }).catch((error: unknown) => {
      if (access.shared && error instanceof LocalHomeError && error.busy) return attachLocalStack(home, 3000);
      throw error;
    }));
  // Loops started by sweeps and triggers run in the background, as StartExecution would; drain() awaits them.
  let started: Promise<LoopResult>[] = [];
  const ctx = stack.context({
    async start(name, input) {
      started.push(runLoop(input, name));
    },
  });
  // The engine and the Step Functions client load with the first command that needs them, so reads start fast.
  let engine: Promise<LocalEngine> | undefined;
  const getEngine = () => {
    engine ??= import('#local/engine.ts').then(
      ({ LocalEngine }) =>
        new LocalEngine({
          home,
          root: PROJECT_ROOT,
          context: ctx,
          ...(stack.callbacks ? { callbacks: stack.callbacks } : {}),
          ...engineOptions,
        }),
    );
    return engine;
  };
  let states: Promise<SFNClient> | undefined;
  const getStates = () => {
    states ??= import('@aws-sdk/client-sfn').then(
      ({ SFNClient }) =>
        new SFNClient({
          endpoint: stack.endpoints.states,
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
        }),
    );
    return states;
  };
  // Loops in flight, so an interrupted command can settle them.
  const inFlight = new Map<string, { input: RunInput; startTime: string }>();
  const runLoop = async (
    input: RunInput,
    executionName: string,
    options?: LocalRunOptions,
  ): Promise<LoopResult> => {
    inFlight.set(executionName, { input, startTime: new Date().toISOString() });
    const execution = await (await getEngine())
      .run(IMPROVEMENT_LOOP_ASL, input, { executionName, ...options })
      .finally(() => inFlight.delete(executionName));
    const result: LoopResult = { executionName, status: execution.status };
    if (execution.status === 'SUCCEEDED') result.record = execution.output as RunRecord;
    if (execution.error) result.error = execution.error;
    return result;
  };
  const drain = async () => {
    const results: LoopResult[] = [];
    while (started.length > 0) {
      const batch = started;
      started = [];
      results.push(...(await Promise.all(batch)));
    }
    return results;
  };
  return {
    stack,
    local: true,
    ctx,
    states: getStates,
    description: `local stack in ${home}`,
    runLoop,
    async runSweep(input, executionName) {
      // A long sweep goes on in new executions (continue-as-new): the last of the chain has the totals.
      const sweeps = await getEngine();
      const first = await sweeps.run(FLEET_SWEEP_ASL, input, { executionName });
      const chain = [first, ...(await sweeps.settleBackground())];
      const failed = chain.find((execution) => execution.status !== 'SUCCEEDED');
      const last = chain.at(-1) ?? first;
      const state = (failed ? undefined : last.output) as SweepState | undefined;
      const result: SweepResult = {
        executionName,
        status: (failed ?? last).status,
        loops: await drain(),
      };
      if (chain.length > 1) result.continuedIn = chain.slice(1).map((execution) => execution.executionName);
      if (state) Object.assign(result, { totals: state.totals, pages: state.pages });
      if (failed?.error) result.error = failed.error;
      return result;
    },
    drain,
    async stored(observations) {
      if (observations.length === 0) return [];
      const [{ triggerFromRecords }, { streamRecords }] = await Promise.all([
        import('../functions/trigger/trigger.ts'),
        import('#local/streams.ts'),
      ]);
      return triggerFromRecords(ctx, streamRecords(observations), `ingest-${Date.now()}`);
    },
    async interrupt(reason) {
      const runs = [...inFlight.entries()];
      await (await engine)?.abortAll();
      const { recordInterrupted } = await import('../functions/record/interrupted.ts');
      started = [];
      const records: RunRecord[] = [];
      for (const [executionName, { input, startTime }] of runs) {
        const record = await recordInterrupted(ctx, {
          modelId: input.modelId,
          executionName,
          startTime,
          ...(input.asOf ? { asOf: input.asOf } : {}),
          reason,
        });
        if (record) records.push(record);
      }
      return records;
    },
    async close() {
      await drain();
      ctx.close();
      (await states)?.destroy();
      await stack.stop();
    },
  };
}
