import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, type Option } from 'commander';
import { isUserFault, KaizenError } from '#contracts/errors.ts';
import { PROJECT_ROOT } from '#local/root.ts';
import { type Fail, type Io, UsageError } from './io.ts';

const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

/**
 * Adds one command (or command group) to the root `program`. Commands write through `io`, read the global
 * options with `globalOptions(program)`, throw `UsageError` for bad input (exit 2) and call `fail()` when
 * they did their work but the outcome must exit 1.
 */
export type RegisterCommand = (program: Command, io: Io, fail: Fail) => void;

/** A module of commands: the names it registers and its registration, imported only when needed. */
interface CommandModule {
  readonly names: readonly string[];
  load(): Promise<RegisterCommand>;
  /** False for commands that work on files only, never on a stack. @default true */
  readonly stack?: false;
}

/** Every command, in the order `kaizen --help` lists them. A command's imports load only when it runs. */
const COMMANDS: readonly CommandModule[] = [
  { names: ['models'], load: async () => (await import('./commands/models.ts')).registerModelsCommand },
  { names: ['upload'], load: async () => (await import('./commands/upload.ts')).registerUploadCommand },
  { names: ['ingest'], load: async () => (await import('./commands/ingest.ts')).registerIngestCommand },
  { names: ['serve'], load: async () => (await import('./commands/serve.ts')).registerServeCommand },
  { names: ['pull'], load: async () => (await import('./commands/pull.ts')).registerPullCommand },
  { names: ['run'], load: async () => (await import('./commands/run.ts')).registerRunCommand },
  { names: ['sweep'], load: async () => (await import('./commands/sweep.ts')).registerSweepCommand },
  {
    names: ['tasks', 'complete', 'fail'],
    load: async () => (await import('./commands/tasks.ts')).registerTaskCommands,
  },
  {
    names: ['approvals', 'approve', 'reject'],
    load: async () => (await import('./commands/tasks.ts')).registerApprovalCommands,
  },
  { names: ['history'], load: async () => (await import('./commands/history.ts')).registerHistoryCommand },
  { names: ['versions'], load: async () => (await import('./commands/versions.ts')).registerVersionsCommand },
  { names: ['champion'], load: async () => (await import('./commands/champion.ts')).registerChampionCommand },
  { names: ['card'], load: async () => (await import('./commands/card.ts')).registerCardCommand },
  { names: ['roi'], load: async () => (await import('./commands/roi.ts')).registerRoiCommand },
  { names: ['report'], load: async () => (await import('./commands/report.ts')).registerReportCommand },
  { names: ['status'], load: async () => (await import('./commands/status.ts')).registerStatusCommand },
  { names: ['unlock'], load: async () => (await import('./commands/unlock.ts')).registerUnlockCommand },
  {
    names: ['drift'],
    load: async () => (await import('./commands/drift.ts')).registerDriftCommand,
    stack: false,
  },
  {
    names: ['simulate'],
    load: async () => (await import('./commands/simulate.ts')).registerSimulateCommand,
    stack: false,
  },
  {
    names: ['train'],
    load: async () => (await import('./commands/train.ts')).registerTrainCommand,
    stack: false,
  },
  { names: ['demo'], load: async () => (await import('./commands/demo.ts')).registerDemoCommand },
];

const VERSION_FLAGS = '-V, --version';

/** The root command with the global options, before any command is added. */
function rootCommand(io: Io): Command {
  return new Command('kaizen')
    .description('Kaizen Loop: monitor, analyze, retrain, gate, deploy, verify and roll back ML models.')
    .version(VERSION, VERSION_FLAGS)
    .option('--json', 'print JSON for scripts')
    .option('--stack <name>', 'act on a deployed stack (default: the local stack; env KAIZEN_STACK)')
    .option('--home <dir>', 'local state folder (default: KAIZEN_HOME or .kaizen)')
    .option('--verbose', 'show the steps’ structured logs')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
    });
}

/**
 * The modules `argv` needs: none for `--version` alone, the named command's module, or every module (for
 * help, no command or an unknown one, so commander can list them and suggest the closest). The word after a
 * global option that takes a value (`--home <dir>`) is that value, not a command's name.
 */
export function commandsFor(
  argv: readonly string[],
  root: Command = rootCommand({ out: () => {}, err: () => {} }),
): readonly CommandModule[] {
  const flags = (option: Option) => [option.short, option.long].filter((flag) => flag !== undefined);
  const version = new Set(VERSION_FLAGS.split(', '));
  const valued = new Set(root.options.filter((option) => option.required || option.optional).flatMap(flags));
  for (let i = 0; i < argv.length; i += 1) {
    const word = argv[i] as string;
    if (version.has(word)) return [];
    if (valued.has(word)) i += 1;
    else if (!word.startsWith('-')) {
      const named = COMMANDS.filter((command) => command.names.includes(word));
      return named.length > 0 ? named : COMMANDS;
    }
  }
  return COMMANDS;
}

/**
 * Whether `argv` runs one command on the local stack (no `--stack` or `KAIZEN_STACK`, not help): the stack's
 * DynamoDB can then start loading while the command's modules load.
 */
export function runsOnLocalStack(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.KAIZEN_STACK) return false;
  if (
    argv.some(
      (word) => word === '--stack' || word.startsWith('--stack=') || word === '-h' || word === '--help',
    )
  )
    return false;
  const commands = commandsFor(argv);
  return commands.length === 1 && commands[0]?.stack !== false;
}

/** Builds the `kaizen` command line with the commands `argv` needs; `exitCode` is the outcome. */
export async function buildProgram(
  io: Io,
  argv: readonly string[],
): Promise<{ program: Command; exitCode: () => number }> {
  let exitCode = 0;
  const program = rootCommand(io);
  const fail: Fail = (code = 1) => {
    exitCode = Math.max(exitCode, code);
  };
  const registers = await Promise.all(commandsFor(argv, program).map((command) => command.load()));
  for (const register of registers) register(program, io, fail);
  return { program, exitCode: () => exitCode };
}

/** Runs the CLI with `argv` (without `node` and the script) and returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    const { program, exitCode } = await buildProgram(io, argv);
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
