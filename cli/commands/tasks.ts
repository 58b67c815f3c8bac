import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { listPendingTasks } from '#stores/tasks.ts';
import { type Io, UsageError } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';
import { shortTime, table } from '../render.ts';

/** Step Functions' answers to a token nobody waits for, as the user should read them. */
const STALE_TOKEN = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/** Sends an answer; a token nobody waits for (answered, timed out, run gone) is bad input (exit 2). */
async function answer(send: () => Promise<unknown>, local: boolean): Promise<void> {
  try {
    await send();
  } catch (error) {
    const name = (error as Error).name;
    if (!STALE_TOKEN.has(name)) throw error;
    const where = local
      ? ' (locally, the `kaizen run` or `kaizen sweep` that waits must still be running)'
      : '';
    throw new UsageError(`no task waits for this token: ${name}: ${(error as Error).message}${where}`);
  }
}

function parseJsonOption(option: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${option} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Registers `kaizen tasks`, `kaizen complete` and `kaizen fail`: the training requests that wait for an
 * external trainer (callback backend), and answering them. Locally they read and answer the stack of the
 * command that runs the loop (the home lock does not refuse them); with `--stack`, Step Functions itself.
 */
export function registerTaskCommands(program: Command, io: Io): void {
  program
    .command('tasks')
    .description('list training requests that wait for an external trainer (callback backend)')
    .action(async () => {
      const globals = globalOptions(program);
      const tasks = await withBackend(globals, ({ ctx }) => listPendingTasks(ctx), { shared: true });
      if (globals.json) return io.out(JSON.stringify(tasks));
      if (tasks.length === 0) return io.out('no training request waits for an answer');
      io.out(
        table(
          ['MODEL', 'EXECUTION', 'REQUESTED', 'DEADLINE', 'TOKEN'],
          tasks.map((task) => [
            task.modelId,
            task.executionName,
            shortTime(task.requestedAt),
            shortTime(task.deadline),
            task.token,
          ]),
        ),
      );
      io.out(
        '\nanswer with: kaizen complete --token <TOKEN> --artifact <KEY> [--scores JSON], or kaizen fail --token <TOKEN> --error <MSG>',
      );
    });

  program
    .command('complete')
    .description(
      "answer a training request: the trained model's key, and holdout scores if the policy asks the trainer for them",
    )
    .requiredOption('--token <token>', 'the task token of the request (kaizen tasks)')
    .requiredOption(
      '--artifact <key>',
      "the trained model's key (or s3:// URI) in the artifacts bucket, e.g. a model.tar.gz",
    )
    .option(
      '--scores <json>',
      'keys of score CSVs on the holdout: {"candidate": "<key>", "champion": "<key>"}',
    )
    .action(async (options: { token: string; artifact: string; scores?: string }) => {
      const globals = globalOptions(program);
      const output = {
        artifactKey: options.artifact,
        ...(options.scores !== undefined ? { scores: parseJsonOption('--scores', options.scores) } : {}),
      };
      await withBackend(
        globals,
        ({ states, local }) =>
          answer(
            () =>
              states.send(
                new SendTaskSuccessCommand({ taskToken: options.token, output: JSON.stringify(output) }),
              ),
            local,
          ),
        { shared: true },
      );
      if (globals.json) return io.out(JSON.stringify({ completed: true, output }));
      io.out(`answered: ${options.artifact}; the run registers and gates it`);
    });

  program
    .command('fail')
    .description('answer a training request with a failure: the run records it and the champion stays')
    .requiredOption('--token <token>', 'the task token of the request (kaizen tasks)')
    .requiredOption('--error <message>', 'what went wrong')
    .action(async (options: { token: string; error: string }) => {
      const globals = globalOptions(program);
      await withBackend(
        globals,
        ({ states, local }) =>
          answer(
            () =>
              states.send(
                new SendTaskFailureCommand({
                  taskToken: options.token,
                  error: 'TrainingFailed',
                  cause: options.error.slice(0, 32_768),
                }),
              ),
            local,
          ),
        { shared: true },
      );
      if (globals.json) return io.out(JSON.stringify({ failed: true }));
      io.out('answered with a failure; the run records it and the champion stays');
    });
}
