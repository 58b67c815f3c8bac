import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError } from 'commander';
import { isUserFault, KaizenError } from '#contracts/errors.ts';
import { registerCardCommand } from './commands/card.ts';
import { registerChampionCommand } from './commands/champion.ts';
import { registerDemoCommand } from './commands/demo.ts';
import { registerDriftCommand } from './commands/drift.ts';
import { registerHistoryCommand } from './commands/history.ts';
import { registerIngestCommand } from './commands/ingest.ts';
import { registerModelsCommand } from './commands/models.ts';
import { registerPullCommand } from './commands/pull.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerSimulateCommand } from './commands/simulate.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerSweepCommand } from './commands/sweep.ts';
import { registerApprovalCommands, registerTaskCommands } from './commands/tasks.ts';
import { registerTrainCommand } from './commands/train.ts';
import { registerUnlockCommand } from './commands/unlock.ts';
import { registerUploadCommand } from './commands/upload.ts';
import { registerVersionsCommand } from './commands/versions.ts';
import { type Fail, type Io, UsageError } from './io.ts';

export { kaizenHome } from './options.ts';

const VERSION = (
  JSON.parse(readFileSync(resolve(import.meta.dirname, '../package.json'), 'utf8')) as { version: string }
).version;

/**
 * Adds one command (or command group) to the root `program`. Commands write through `io`, read the global
 * options with `globalOptions(program)`, throw `UsageError` for bad input (exit 2) and call `fail()` when
 * they did their work but the outcome must exit 1.
 */
export type RegisterCommand = (program: Command, io: Io, fail: Fail) => void;

/** Every command, in the order `kaizen --help` lists them. */
const COMMANDS: readonly RegisterCommand[] = [
  registerModelsCommand,
  registerUploadCommand,
  registerIngestCommand,
  registerServeCommand,
  registerPullCommand,
  registerRunCommand,
  registerSweepCommand,
  registerTaskCommands,
  registerApprovalCommands,
  registerHistoryCommand,
  registerVersionsCommand,
  registerChampionCommand,
  registerCardCommand,
  registerStatusCommand,
  registerUnlockCommand,
  registerDriftCommand,
  registerSimulateCommand,
  registerTrainCommand,
  registerDemoCommand,
];

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
  const fail: Fail = (code = 1) => {
    exitCode = Math.max(exitCode, code);
  };
  for (const register of COMMANDS) register(program, io, fail);
  return { program, exitCode: () => exitCode };
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const { program, exitCode } = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode();
  } catch (error) {
    // Help and version exit 0; anything else commander rejects (unknown option, missing --model) is bad input.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      io.err(`kaizen: ${error.message}`);
      return error.exitCode;
    }
    // The catalogue says whose fault it is: bad input (a policy, an id, an option) exits 2.
    if (isUserFault(error)) {
      io.err(`kaizen: ${(error as Error).message}`);
      return 2;
    }
    // The catalogue's errors carry messages written for people; anything else keeps its name for diagnosis.
    io.err(
      error instanceof KaizenError
        ? `kaizen: ${error.message}`
        : `kaizen: ${(error as Error).name}: ${(error as Error).message}`,
    );
    return 1;
  }
}
