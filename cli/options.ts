import type { Command } from 'commander';
import { type Backend, localBackend } from './backend.ts';
import { kaizenHome } from './home.ts';
import { UsageError } from './io.ts';

/** The root command's options, shared by every command. */
export interface GlobalOptions {
  json?: boolean;
  stack?: string;
  home?: string;
  verbose?: boolean;
}

/** The global options as parsed by the root command `program` (read them inside an action). */
export function globalOptions(program: Command): GlobalOptions {
  return program.opts<GlobalOptions>();
}

/** The last `count` UTC dates (YYYY-MM-DD), today first: the partitions of recorded checks. */
export function recentDays(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    new Date(Date.now() - i * 86_400_000).toISOString().slice(0, 10),
  );
}

export function wholeNumber(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`${option} must be a whole number, got "${text}"`);
  return value;
}

export function positiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new UsageError(`${option} must be a positive integer, got "${text}"`);
  return value;
}

/** Line and column of a JSON.parse error position, for messages that say where. */
export function jsonError(path: string, text: string, error: Error): string {
  const position = /position (\d+)/.exec(error.message);
  if (!position) return `${path}: invalid JSON: ${error.message}`;
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${path}:${line}:${column}: invalid JSON: ${error.message}`;
}

/** Runs `work` on the backend the global options select (`--stack`/`KAIZEN_STACK`, else local), then closes it. */
export async function withBackend<T>(
  options: GlobalOptions,
  work: (backend: Backend) => Promise<T>,
  /**
   * `shared`: the command may use the stack of a command running on the same home (locally): it only reads,
   * answers a waiting run (`complete`, `fail`) or adds an object (`upload`), none of which a run in flight
   * can be hurt by. Commands that change policies, observations or locks wait for the home instead.
   */
  access: { shared?: boolean } = {},
): Promise<T> {
  const stack = options.stack ?? process.env.KAIZEN_STACK;
  const backend = stack
    ? await (await import('./aws-backend.ts')).awsBackend(stack)
    : await localBackend(kaizenHome(options.home), options.verbose ? 'INFO' : 'SILENT', {}, access);
  return guarded(backend, () => work(backend));
}

/**
 * Runs `work` on `backend` and closes it, settling what a signal interrupts: on SIGINT or SIGTERM the loops in
 * flight are aborted, an unverified deploy taken back, each run recorded and its lock freed, and only then is
 * the backend closed and the process ended (130/143). The work's own ending waits for that, so nothing closes
 * the stack under the settling.
 */
export async function guarded<T>(backend: Backend, work: () => Promise<T>): Promise<T> {
  let settling: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    settling ??= backend
      .interrupt(`the command was interrupted (${signal}) before the run finished`)
      .then((records) => {
        for (const record of records) process.stderr.write(`${record.modelId}: ${record.summary}\n`);
      })
      .finally(() => backend.close())
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work();
  } finally {
    if (settling) await settling;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.close();
  }
}
