import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { STEPS, type StepName } from '#contracts/steps.ts';
import { PROJECT_ROOT } from '../root.ts';
import { lambdaError, lambdaResult, localFunctionArn } from './lambda.ts';
import type { RunnerInit, RunnerInvocation, RunnerReply } from './process-lambda-runner.ts';
import type { LocalIntegration, TaskCall } from './types.ts';

/** How much of a function's stderr is kept to explain a crash. */
const STDERR_TAIL_BYTES = 8 * 1024;
const RUNNER = join(PROJECT_ROOT, 'local/integrations/process-lambda-runner.ts');

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
  /** Resolves when the handler module has loaded, rejects if it failed to or the process died first. */
  ready: Promise<void>;
  exited: Promise<void>;
}

function namedError(name: string, message: string, stack?: string): Error {
  const error = new Error(message);
  error.name = name;
  if (stack) error.stack = stack;
  return error;
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

  /**
   * Starts the process of every function (or of `names`) at once and waits until each has loaded its
   * handler module, so the cold starts overlap instead of adding up invocation by invocation.
   */
  async start(names: readonly string[] = Object.keys(this.functions)): Promise<void> {
    await Promise.all(
      names.map((name) => {
        const spec = this.functions[name];
        if (!spec) throw new Error(`no function ${name}`);
        return this.sandbox(name, spec).ready;
      }),
    );
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
    let loaded: { resolve(): void; reject(error: Error): void } | undefined;
    const sandbox: Sandbox = {
      child,
      pid: child.pid ?? -1,
      pending: new Map(),
      stderr: '',
      ready: new Promise<void>((resolve, reject) => {
        loaded = { resolve, reject };
      }),
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    // An init failure also fails every invocation; `start` is the one that reports it.
    sandbox.ready.catch(() => undefined);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      sandbox.stderr = (sandbox.stderr + chunk).slice(-STDERR_TAIL_BYTES);
    });
    child.on('message', (reply: RunnerReply | RunnerInit) => {
      if ('init' in reply) {
        if (reply.init === 'ready') loaded?.resolve();
        else loaded?.reject(lambdaError(reply.error));
        return;
      }
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
      const error = lambdaError({ name: 'Runtime.ExitError', message });
      loaded?.reject(error);
      for (const pending of [...sandbox.pending.values()]) pending.reject(error);
    });
    this.sandboxes.set(name, sandbox);
    return sandbox;
  }
}
