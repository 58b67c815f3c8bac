import { userInfo } from 'node:os';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import { getPolicy } from '#stores/policies.ts';
import { closePendingTask, listPendingTasks, type PendingTask } from '#stores/tasks.ts';
import { type Io, UsageError } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';
import { shortTime, table } from '../render.ts';

/** Step Functions' answers to a token nobody waits for, as the user should read them. */
const STALE_TOKEN = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

/** Sends an answer; a token nobody waits for (answered, timed out, run gone) is bad input (exit 2). */
async function sendAnswer(send: () => Promise<unknown>, local: boolean): Promise<void> {
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
    .description('list requests that wait for an answer: training (callback backend) and approvals')
    .action(async () => {
      const globals = globalOptions(program);
      const tasks = await withBackend(globals, ({ ctx }) => listPendingTasks(ctx), { shared: true });
      if (globals.json) return io.out(JSON.stringify(tasks));
      if (tasks.length === 0) return io.out('no request waits for an answer');
      io.out(
        table(
          ['KIND', 'MODEL', 'EXECUTION', 'REQUESTED', 'DEADLINE', 'TOKEN'],
          tasks.map((task) => [
            task.kind ?? 'training',
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
          sendAnswer(
            async () =>
              (await states()).send(
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
          sendAnswer(
            async () =>
              (await states()).send(
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

/** The approval a model's run waits for; bad input (exit 2) when there is none. */
function pendingApproval(tasks: PendingTask[], modelId: string): PendingTask {
  const found = tasks.filter((task) => task.kind === 'approval' && task.modelId === modelId);
  const [latest] = found.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  if (!latest)
    throw new UsageError(`no promotion of ${modelId} waits for approval (kaizen approvals lists them)`);
  return latest;
}

/**
 * Registers `kaizen approvals`, `kaizen approve` and `kaizen reject`: promotions that wait for a person
 * (`approval` in the policy), and answering them. Who answered, when and why goes on the run record.
 */
export function registerApprovalCommands(program: Command, io: Io): void {
  program
    .command('approvals')
    .description('list promotions that wait for a person (the policy asks for approval)')
    .action(async () => {
      const globals = globalOptions(program);
      const tasks = await withBackend(globals, ({ ctx }) => listPendingTasks(ctx), { shared: true });
      const approvals = tasks.filter((task) => task.kind === 'approval');
      if (globals.json) return io.out(JSON.stringify(approvals));
      if (approvals.length === 0) return io.out('no promotion waits for approval');
      io.out(
        table(
          ['MODEL', 'CANDIDATE', 'SCORES', 'WHY', 'DEADLINE'],
          approvals.map((task) => {
            const request = task.request as {
              candidate?: { version?: number };
              scores?: { metric?: string; candidate?: number; champion?: number | null };
              reason?: string;
            };
            const scores = request.scores;
            return [
              task.modelId,
              `v${request.candidate?.version ?? '?'}`,
              scores
                ? `${scores.metric} ${scores.candidate?.toFixed(4)}${typeof scores.champion === 'number' ? ` vs ${scores.champion.toFixed(4)}` : ''}`
                : '-',
              request.reason ?? '-',
              shortTime(task.deadline),
            ];
          }),
        ),
      );
    });

  const answerApproval = async (
    options: { model: string; by?: string },
    approved: boolean,
    comment: string | undefined,
  ) => {
    const globals = globalOptions(program);
    const answer = {
      approved,
      by: options.by ?? userInfo().username,
      at: new Date().toISOString(),
      ...(comment ? { comment } : {}),
    };
    const task = await withBackend(
      globals,
      async ({ ctx, states, local }) => {
        await getPolicy(ctx, options.model); // an unknown model is bad input (exit 2)
        const waiting = pendingApproval(await listPendingTasks(ctx), options.model);
        await sendAnswer(
          async () =>
            (await states()).send(
              new SendTaskSuccessCommand({ taskToken: waiting.token, output: JSON.stringify(answer) }),
            ),
          local,
        );
        // Answered: no longer listed, while the run deploys and verifies (the run's end would close it too).
        await closePendingTask(ctx, waiting.executionName);
        return waiting;
      },
      { shared: true },
    );
    if (globals.json) return io.out(JSON.stringify({ ...answer, executionName: task.executionName }));
    io.out(
      approved
        ? `${options.model}: approved by ${answer.by}; the run deploys and verifies it`
        : `${options.model}: rejected by ${answer.by}; the champion stays`,
    );
  };

  program
    .command('approve')
    .description('approve the promotion a model waits for')
    .requiredOption('--model <id>', 'model id')
    .option('--comment <text>', 'why (kept on the run record)')
    .option('--by <name>', 'who approves (default: your user name)')
    .action((options: { model: string; comment?: string; by?: string }) =>
      answerApproval(options, true, options.comment),
    );

  program
    .command('reject')
    .description(
      'reject the promotion a model waits for: the run is recorded as rejected, the champion stays',
    )
    .requiredOption('--model <id>', 'model id')
    .requiredOption('--reason <text>', 'why (kept on the run record)')
    .option('--by <name>', 'who rejects (default: your user name)')
    .action((options: { model: string; reason: string; by?: string }) =>
      answerApproval(options, false, options.reason),
    );
}
