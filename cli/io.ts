import { KaizenError } from '#contracts/errors.ts';

/** Where a command writes; the CLI uses the process streams, tests capture the text. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Marks a command as failed: 1 (something failed, the default) or 2 (bad input); the highest code wins. */
export type Fail = (code?: 1 | 2) => void;

/** An error the CLI reports as one clear message (no stack trace) with a non-zero exit code. */
export class UsageError extends KaizenError {
  override readonly name = 'UsageError';
  readonly retryable = false;
  readonly userFault = true;
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
