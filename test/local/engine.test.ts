import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STEPS, type StepName } from '#contracts/steps.ts';
import {
  IMPROVEMENT_LOOP_ASL,
  LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN,
  SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
  SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
  SNS_PUBLISH,
} from '#contracts/workflows.ts';
import {
  LOCAL_TOPIC_ARN,
  LocalEngine,
  type LocalEngineOptions,
  localFunctionArn,
  NOTIFICATIONS_FILE,
  type StepHandler,
} from '#local/engine.ts';
import { SERVING_TARGETS } from '#local/integrations/serving.ts';

const MECHANICS = 'test/fixtures/asl/mechanics.asl.json';

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-engine-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Handlers that record their calls; `overrides` replace single steps. */
function recordingHandlers(overrides: Partial<Record<StepName, StepHandler>> = {}) {
  const calls: { step: StepName; event: unknown; context: Context }[] = [];
  const record =
    (step: StepName, result: (event: unknown) => unknown): StepHandler =>
    async (event, context) => {
      calls.push({ step, event, context });
      return overrides[step] ? overrides[step](event, context) : result(event);
    };
  const handlers: Partial<Record<StepName, StepHandler>> = {
    monitor: record('monitor', () => ({ items: ['a', 'b'] })),
    analyze: record('analyze', () => ({ action: 'none' })),
    record: record('record', (event) => ({ recorded: (event as { item: string }).item })),
    verify: record('verify', (event) => ({ step: 'verify', event })),
    rollback: record('rollback', (event) => ({ step: 'rollback', event })),
  };
  return { calls, handlers };
}

function engine(handlers: LocalEngineOptions['handlers']): LocalEngine {
  return new LocalEngine({ home, handlers });
}

async function notifications(): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(home, NOTIFICATIONS_FILE), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('LocalEngine.run on the mechanics fixture', () => {
  it('routes each Task to the handler of the step its ARN names, Map iterations included', async () => {
    const { calls, handlers } = recordingHandlers();
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' }, { executionName: 'exec-1' });

    expect(run.status).toBe('SUCCEEDED');
    expect(calls.map((c) => c.step)).toEqual(['monitor', 'analyze', 'record', 'record']);
    expect(calls.filter((c) => c.step === 'record').map((c) => c.event)).toEqual([
      { item: 'a' },
      { item: 'b' },
    ]);
    expect(run.output).toMatchObject({
      modelId: 'churn',
      decision: { action: 'none' },
      records: [{ recorded: 'a' }, { recorded: 'b' }],
    });
  });

  it('passes the context object: execution name, start time and a Lambda context per call', async () => {
    const { calls, handlers } = recordingHandlers();
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' }, { executionName: 'exec-ctx' });

    const monitor = calls.find((c) => c.step === 'monitor');
    const event = monitor?.event as { execution: { name: string; startTime: string } };
    expect(event.execution.name).toBe('exec-ctx');
    expect(Number.isNaN(Date.parse(event.execution.startTime))).toBe(false);
    expect(run.executionName).toBe('exec-ctx');
    expect(run.executionArn).toMatch(/:execution:kaizen-mechanics:exec-ctx$/);
    expect(monitor?.context).toMatchObject({
      functionName: 'kaizen-monitor',
      invokedFunctionArn: localFunctionArn('monitor'),
      memoryLimitInMB: String(STEPS.monitor.memoryMb),
    });
    expect(monitor?.context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(monitor?.context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(new Set(calls.map((c) => c.context.awsRequestId)).size).toBe(calls.length);
  });

  it('names an execution with a fresh id when no name is given', async () => {
    const { handlers } = recordingHandlers();
    const first = await engine(handlers).run(MECHANICS, { modelId: 'churn' });
    const second = await engine(handlers).run(MECHANICS, { modelId: 'churn' });
    expect(first.executionName).not.toBe(second.executionName);
  });

  it('retries a task that throws a named error matched by Retry, without waiting the interval', async () => {
    let attempts = 0;
    const { calls, handlers } = recordingHandlers({
      monitor: () => {
        attempts += 1;
        if (attempts === 1) throw new NamedError('TransientError', 'throttled');
        return { items: [] };
      },
    });
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    expect(run.status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.step === 'monitor')).toHaveLength(2);
    expect(run.events.filter((e) => e.type === 'StateRetried').map((e) => e.state)).toEqual(['Monitor']);
    expect(run.events.find((e) => e.type === 'StateFailed')?.error?.name).toBe('TransientError');
  });

  it('catches a task error by its name and hands the Lambda error JSON to the next state', async () => {
    const { handlers } = recordingHandlers({
      analyze: () => {
        throw new NamedError('ModelNotFoundError', 'no model churn');
      },
    });
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    expect(run.status).toBe('SUCCEEDED');
    const output = run.output as { error: { Error: string; Cause: string }; records?: unknown };
    expect(output.error.Error).toBe('ModelNotFoundError');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'ModelNotFoundError',
      errorMessage: 'no model churn',
    });
    expect(output.records).toBeUndefined();
    expect(run.events.filter((e) => e.type === 'StateCaught').map((e) => e.state)).toEqual(['Analyze']);
  });

  it.each([
    {
      case: 'a Fail state',
      overrides: { analyze: () => ({ action: 'fail' }) },
      error: { name: 'LoopFailed', cause: 'the analysis asked to fail' },
    },
    {
      case: 'a caught error routed to a Fail state',
      overrides: {
        monitor: () => {
          throw new NamedError('InvalidInputError', 'modelId is missing');
        },
      },
      error: { name: 'InvalidInput', cause: 'the monitor rejected the input' },
    },
  ])('resolves FAILED with the error name and cause on $case', async ({ overrides, error }) => {
    const { handlers } = recordingHandlers(overrides);
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual(error);
    expect(run.output).toBeUndefined();
    expect(run.events.at(-1)).toMatchObject({ type: 'ExecutionFailed', error: { name: error.name } });
  });

  it('resolves FAILED, not a rejection, when a task error is caught nowhere', async () => {
    const { handlers } = recordingHandlers({
      monitor: () => {
        throw new NamedError('BoomError', 'disk on fire');
      },
    });
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('BoomError');
    expect(JSON.parse(run.error?.cause ?? '')).toMatchObject({
      errorType: 'BoomError',
      errorMessage: 'disk on fire',
    });
  });

  it('gives up retrying after MaxAttempts and fails with the last error', async () => {
    const { calls, handlers } = recordingHandlers({
      monitor: () => {
        throw new NamedError('TransientError', 'still throttled');
      },
    });
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('TransientError');
    expect(calls.filter((c) => c.step === 'monitor')).toHaveLength(3);
  });

  it.each([
    { waitMs: undefined, atLeast: 0 },
    { waitMs: 50, atLeast: 45 },
  ])('waits $waitMs ms in a Wait state that says one day', async ({ waitMs, atLeast }) => {
    const { handlers } = recordingHandlers();
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' }, { waitMs });

    expect(run.status).toBe('SUCCEEDED');
    const at = (type: string) =>
      Date.parse(run.events.find((e) => e.type === type && e.state === 'Bake')?.at ?? '');
    expect(at('StateExited') - at('StateEntered')).toBeGreaterThanOrEqual(atLeast);
  });

  it('awaits beforeTask with the effective input before each task runs', async () => {
    const order: string[] = [];
    const seen: unknown[] = [];
    const { handlers } = recordingHandlers({
      monitor: () => {
        order.push('handler:monitor');
        return { items: ['a'] };
      },
      analyze: () => {
        order.push('handler:analyze');
        return { action: 'none' };
      },
      record: () => {
        order.push('handler:record');
        return {};
      },
    });
    const run = await engine(handlers).run(
      MECHANICS,
      { modelId: 'churn' },
      {
        executionName: 'hooked',
        beforeTask: async ({ state, step, input }) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          order.push(`before:${state}:${step}`);
          seen.push(input);
        },
      },
    );

    expect(run.status).toBe('SUCCEEDED');
    expect(order).toEqual([
      'before:Monitor:monitor',
      'handler:monitor',
      'before:Analyze:analyze',
      'handler:analyze',
      'before:RecordItem:record',
      'handler:record',
      'before:Notify:notify',
    ]);
    expect(seen[0]).toMatchObject({ input: { modelId: 'churn' }, execution: { name: 'hooked' } });
    expect(seen[1]).toEqual({ modelId: 'churn', monitor: { items: ['a'] } });
  });

  it('writes sns:publish messages to notifications.jsonl and returns a MessageId', async () => {
    const { handlers } = recordingHandlers();
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    const lines = await notifications();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      topicArn: LOCAL_TOPIC_ARN,
      subject: 'Kaizen Loop: churn',
      message: JSON.stringify({ items: ['a', 'b'] }),
    });
    expect(Number.isNaN(Date.parse(String(lines[0]?.at)))).toBe(false);
    expect((run.output as { notification: { MessageId: string } }).notification.MessageId).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });

  it('gives each handler a serialized copy of its input and returns its result as JSON', async () => {
    const { handlers } = recordingHandlers({
      monitor: (event) => {
        (event as { input: { modelId: string } }).input.modelId = 'mutated';
        return { items: [], at: new Date('2026-01-02T03:04:05.000Z'), dropped: undefined };
      },
    });
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    expect(run.output).toMatchObject({
      modelId: 'churn',
      monitor: { items: [], at: '2026-01-02T03:04:05.000Z' },
    });
    expect((run.output as { monitor: object }).monitor).not.toHaveProperty('dropped');
  });

  it('fails the execution when a task result exceeds the 256 KiB state limit', async () => {
    const { handlers } = recordingHandlers({ monitor: () => ({ items: [], blob: 'x'.repeat(300 * 1024) }) });
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('States.DataLimitExceeded');
  });

  it('records a timeline of the execution', async () => {
    const { handlers } = recordingHandlers();
    const run = await engine(handlers).run(MECHANICS, { modelId: 'churn' });

    const entered = run.events.filter((e) => e.type === 'StateEntered').map((e) => e.state);
    expect(entered).toEqual([
      'Monitor',
      'Bake',
      'Analyze',
      'RecordEach',
      'RecordItem',
      'RecordItem',
      'Route',
      'Notify',
      'Done',
    ]);
    expect(run.events[0]?.type).toBe('ExecutionStarted');
    expect(run.events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(
      run.events
        .filter((e) => e.state === 'RecordItem')
        .map((e) => e.index)
        .sort(),
    ).toEqual([0, 0, 1, 1]);
  });
});

describe('LocalEngine with other definitions', () => {
  it('runs lambda:invoke tasks inside Parallel branches by function name or ARN', async () => {
    const { calls, handlers } = recordingHandlers();
    const run = await engine(handlers).run('test/fixtures/asl/lambda-invoke.asl.json', {});

    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toEqual([
      { step: 'verify', event: { branch: 'verify' } },
      { step: 'rollback', event: { branch: 'rollback' } },
    ]);
    expect(calls.map((c) => c.step).sort()).toEqual(['rollback', 'verify']);
  });

  it.each([
    { file: 'unknown-placeholder.asl.json', message: /unknown placeholder \$\{MysteryFunctionArn\}/ },
    {
      file: 'unsupported-task.asl.json',
      message: /PutItem uses arn:aws:states:::dynamodb:putItem.*no local/,
    },
  ])('rejects $file before running anything', async ({ file, message }) => {
    const { calls, handlers } = recordingHandlers();
    await expect(engine(handlers).run(`test/fixtures/asl/${file}`, {})).rejects.toThrow(message);
    expect(calls).toHaveLength(0);
  });
});

describe('LocalEngine on the real improvement loop', () => {
  /** Every state of the definition, nested ones included. */
  function allStates(states: Record<string, Record<string, unknown>>): [string, Record<string, unknown>][] {
    return Object.entries(states).flatMap(([name, state]) => {
      const nested = [
        ...((state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []),
        ...[state.ItemProcessor ?? state.Iterator].filter(Boolean),
      ] as { States: Record<string, Record<string, unknown>> }[];
      return [
        [name, state] as [string, Record<string, unknown>],
        ...nested.flatMap((n) => allStates(n.States)),
      ];
    });
  }

  it('overrides every Task state, every Retry and every Wait, with no placeholder left', async () => {
    const raw = JSON.parse(await readFile(IMPROVEMENT_LOOP_ASL, 'utf8')) as {
      States: Record<string, Record<string, unknown>>;
    };
    const machine = await new LocalEngine({ home }).prepare(IMPROVEMENT_LOOP_ASL);

    const states = allStates(raw.States);
    const taskNames = states.filter(([, s]) => s.Type === 'Task').map(([n]) => n);
    expect(taskNames.length).toBeGreaterThan(0);
    expect(Object.keys(machine.tasks).sort()).toEqual([...taskNames].sort());
    expect(machine.retryStates.sort()).toEqual(
      states
        .filter(([, s]) => s.Retry)
        .map(([n]) => n)
        .sort(),
    );
    expect(machine.waitStates.sort()).toEqual(
      states
        .filter(([, s]) => s.Type === 'Wait')
        .map(([n]) => n)
        .sort(),
    );
    expect(JSON.stringify(machine.definition)).not.toContain('${');
  });

  it('maps each step placeholder of the definition to that step handler', async () => {
    const raw = JSON.parse(await readFile(IMPROVEMENT_LOOP_ASL, 'utf8')) as {
      States: Record<string, Record<string, unknown>>;
    };
    const machine = await new LocalEngine({ home }).prepare(IMPROVEMENT_LOOP_ASL);
    const placeholderToStep = new Map(
      Object.entries(STEPS).map(([step, s]) => [`\${${s.placeholder}}`, step]),
    );

    // Service integrations are named by their API; Lambda tasks by the step the placeholder names.
    const services: Record<string, string> = {
      [SNS_PUBLISH]: 'notify',
      [SAGEMAKER_CREATE_TRAINING_JOB_SYNC]: 'sagemaker:createTrainingJob',
      [SAGEMAKER_CREATE_PROCESSING_JOB_SYNC]: 'sagemaker:createProcessingJob',
      [LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN]: 'lambda:invoke.waitForTaskToken',
      ...SERVING_TARGETS,
    };
    const tasks = allStates(raw.States).filter(([, s]) => s.Type === 'Task');
    for (const [name, state] of tasks) {
      const resource = String(state.Resource);
      const expected = placeholderToStep.get(resource) ?? services[resource];
      expect({ name, target: machine.tasks[name]?.target }).toEqual({ name, target: expected });
    }
    // The callback task invokes the request step by its FunctionName.
    const callback = tasks.find(([, state]) => state.Resource === LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN)?.[1];
    const functionName = (callback?.Parameters as { FunctionName?: string } | undefined)?.FunctionName;
    expect(placeholderToStep.get(String(functionName))).toBe('request');
  });

  it.each([
    {
      path: 'no action',
      analyze: { action: 'none' },
      status: 'SUCCEEDED',
      steps: ['monitor', 'analyze', 'record'],
      notified: 0,
    },
    {
      path: 'a failing monitor',
      monitorThrows: true,
      status: 'FAILED',
      steps: ['monitor', 'record'],
      notified: 1,
    },
  ])(
    'runs end to end with injected handlers on $path',
    async ({ analyze, monitorThrows, status, steps, notified }) => {
      const { calls, handlers } = recordingHandlers({
        monitor: () => {
          if (monitorThrows) throw new NamedError('BoomError', 'broken');
          return {
            run: { modelId: 'churn', dryRun: false },
            policy: {},
            champion: {},
            observed: {},
            history: [],
            bandReference: [],
            retrains: [],
            lock: { acquired: true },
          };
        },
        analyze: () => analyze,
        // Record returns the run record and, when the policy asks for one, the message to publish.
        record: (event) => {
          const { outcome } = event as { outcome: string };
          const attributes = { model: { DataType: 'String', StringValue: 'churn' } };
          return {
            record: { modelId: 'churn', outcome },
            ...(outcome === 'failed'
              ? { notification: { subject: 'Kaizen Loop: churn failed', message: 'why', attributes } }
              : {}),
          };
        },
      });
      const run = await engine(handlers).run(IMPROVEMENT_LOOP_ASL, { modelId: 'churn' });

      expect(run.status).toBe(status);
      expect(calls.map((c) => c.step)).toEqual(steps);
      // Monitor's `"ResultPath": "$"` replaces the state (the library alone would nest it under a `$` key).
      if (!monitorThrows)
        expect(calls[1]?.event).toEqual({
          run: { modelId: 'churn', dryRun: false },
          policy: {},
          champion: {},
          observed: {},
          history: [],
          bandReference: [],
          retrains: [],
          lock: { acquired: true },
        });
      if (status === 'SUCCEEDED') expect(run.output).toEqual({ modelId: 'churn', outcome: 'decided' });
      else expect(run.error?.name).toBe('ImprovementLoopFailed');
      const lines = notified ? await notifications() : [];
      expect(lines).toHaveLength(notified);
      if (notified)
        expect(lines[0]).toMatchObject({
          subject: 'Kaizen Loop: churn failed',
          message: 'why',
          attributes: { model: { DataType: 'String', StringValue: 'churn' } },
        });
    },
  );
});
