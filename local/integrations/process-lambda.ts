import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STEPS, type StepName } from '#contracts/steps.ts';
import { localFunctionArn } from './lambda.ts';
import type { RunnerInvocation, RunnerReply } from './process-lambda-runner.ts';
import type { LocalIntegration, TaskCall } from './types.ts';

/** Step Functions' cap on a state's input or output. */
const MAX_PAYLOAD_BYTES = 256 * 1024;
/** How much of a function's stderr is kept to explain a crash. */
const STDERR_TAIL_BYTES = 8 * 1024;
const RUNNER = fileURLToPath(new URL('./process-lambda-runner.ts', import.meta.url));

/** One function run in its own process, as Lambda runs a deployed bundle. */
export interface ProcessFunction {
  /** The handler module, e.g. the `index.mjs` of the function's synthesized asset; it exports `handler`. */
  module: string;
  /**
   * The process's whole environment (nothing of this process's leaks in): the function's configuration plus
   * what the Lambda service would set (region, credentials, endpoints).
   */
  environment: Record<string, string>;
  memoryMb: number;
  timeoutSeconds: number;
}

/** One invocation as it was made, for tests that check which function ran where. */
export interface ProcessInvocation {
  name: string;
  pid: number;
  ok: boolean;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Sandbox {
  child: ChildProcess;
  pid: number;
  pending: Map<number, Pending>;
  stderr: string;
  exited: Promise<void>;
}

function namedError(name: string, message: string, stack?: string): Error {
  const error = new Error(message);
  error.name = name;
  if (stack) error.stack = stack;
  return error;
}

/** The error a Lambda function's failure becomes in Step Functions: same name, runtime JSON as cause. */
function lambdaError(original: { name: string; message: string; stack?: string }): Error {
  return namedError(
    original.name,
    JSON.stringify({
      errorType: original.name,
      errorMessage: original.message,
      trace: original.stack?.split('\n') ?? [],
    }),
    original.stack,
  );
}

/** Serializes a result as Lambda does, failing as Step Functions does past its payload cap. */
function lambdaResult(result: unknown, state: string): unknown {
  const json = JSON.stringify(result ?? null);
  if (Buffer.byteLength(json) > MAX_PAYLOAD_BYTES) {
    // Terminal on AWS too: neither retried nor caught by States.ALL.
    const error = Object.assign(
      namedError(
        'States.DataLimitExceeded',
        `the result of ${state} is ${Buffer.byteLength(json)} bytes, over the 256 KiB state limit`,
      ),
      { isRetryable: false, isCatchable: false },
    );
    throw error;
  }
  return JSON.parse(json);
}

/**
 * Lambda functions run as separate Node.js processes, one long-lived process per function (started at its
 * first invocation, as a cold start, and again after a crash or timeout): the code sees only its own
 * environment, its own module state and whatever its endpoints let it do. As a local integration it runs the
 * Task states whose Resource is the local ARN of a step it has a process for; `invoke` calls any function
 * directly (e.g. the stream trigger). Errors keep their name, with the runtime's JSON as message, so
 * Retry/Catch match them as on AWS.
 */
export class ProcessLambdas implements LocalIntegration {
  /** Every invocation, in order. */
  readonly invocations: ProcessInvocation[] = [];
  private readonly sandboxes = new Map<string, Sandbox>();
  private readonly byArn: Map<string, StepName>;
  private nextId = 1;

  constructor(private readonly functions: Readonly<Record<string, ProcessFunction>>) {
    const steps = (Object.keys(STEPS) as StepName[]).filter((step) => step in functions);
    this.byArn = new Map(steps.map((step) => [localFunctionArn(step), step]));
  }

  target(resource: string): string | undefined {
    return this.byArn.get(resource);
  }

  async run({ state, target, input, beforeTask }: TaskCall): Promise<unknown> {
    await beforeTask?.({ state, step: target, input });
    return lambdaResult(await this.invoke(target, input), state);
  }

  /** Invokes the function `name` with a serialized copy of `event` and returns its result. */
  invoke(name: string, event: unknown): Promise<unknown> {
    const spec = this.functions[name];
    if (!spec) return Promise.reject(namedError('Lambda.ResourceNotFoundException', `no function ${name}`));
    const sandbox = this.sandbox(name, spec);
    const id = this.nextId++;
    const message: RunnerInvocation = {
      id,
      event: JSON.parse(JSON.stringify(event ?? null)),
      functionName: `kaizen-${name}`,
      memoryMb: spec.memoryMb,
      timeoutSeconds: spec.timeoutSeconds,
    };
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        // Lambda ends the sandbox of a function that overran its timeout.
        this.settle(name, sandbox, id, false);
        reject(
          lambdaError({
            name: 'Sandbox.Timedout',
            message: `Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`,
          }),
        );
        sandbox.child.kill();
      }, spec.timeoutSeconds * 1000);
      timer.unref();
      sandbox.pending.set(id, {
        resolve: (result) => {
          this.settle(name, sandbox, id, true);
          resolve(result);
        },
        reject: (error) => {
          this.settle(name, sandbox, id, false);
          reject(error);
        },
        timer,
      });
      sandbox.child.send(message);
    });
  }

  /** Ends every function's process and waits for them to exit. */
  async close(): Promise<void> {
    const sandboxes = [...this.sandboxes.values()];
    this.sandboxes.clear();
    for (const sandbox of sandboxes) sandbox.child.kill();
    await Promise.all(sandboxes.map((sandbox) => sandbox.exited));
  }

  private settle(name: string, sandbox: Sandbox, id: number, ok: boolean): void {
    const pending = sandbox.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    sandbox.pending.delete(id);
    this.invocations.push({ name, pid: sandbox.pid, ok });
  }

  private sandbox(name: string, spec: ProcessFunction): Sandbox {
    const running = this.sandboxes.get(name);
    if (running) return running;
    const child = fork(RUNNER, [spec.module], {
      env: spec.environment,
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const sandbox: Sandbox = {
      child,
      pid: child.pid ?? -1,
      pending: new Map(),
      stderr: '',
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      sandbox.stderr = (sandbox.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.on('message', (reply: RunnerReply) => {
      const pending = sandbox.pending.get(reply.id);
      if (!pending) return;
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(lambdaError(reply.error));
    });
    child.once('exit', (code, signal) => {
      if (this.sandboxes.get(name) === sandbox) this.sandboxes.delete(name);
      const message = `kaizen-${name} exited (${signal ?? `code ${code}`}) before answering${
        sandbox.stderr ? `: ${sandbox.stderr.trim()}` : ''
      }`;
      for (const pending of [...sandbox.pending.values()]) {
        pending.reject(lambdaError({ name: 'Runtime.ExitError', message }));
      }
    });
    this.sandboxes.set(name, sandbox);
    return sandbox;
  }
}
