import type { Command } from 'commander';
import { stateLabel } from '#domain/attention.ts';
import type { Io } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';
import { shortTime, table, version } from '../render.ts';
import { modelStates } from '../states.ts';

/** Registers `kaizen status`: one line per model, worst first, with its state and the next step. */
export function registerStatusCommand(program: Command, io: Io): void {
  program
    .command('status')
    .description(
      'every model: its state (healthy, watch, blocked, ...), champion, last check and what to do next',
    )
    .action(async () => {
      const globals = globalOptions(program);
      const models = await withBackend(globals, async ({ ctx }) => modelStates(ctx), { shared: true });
      // One shape whatever the models' states: { models: ModelStatus[] } (README: kaizen status --json).
      if (globals.json) return io.out(JSON.stringify({ models }));
      if (models.length === 0) return io.out('no models registered (kaizen models put <policy.json>)');
      io.out(
        table(
          ['MODEL', 'STATE', 'CHAMPION', 'LAST CHECK', 'WHY', 'NEXT'],
          models.map((row) => [
            row.modelId,
            stateLabel(row.state),
            version(row.champion?.version),
            row.lastCheck
              ? `${shortTime(row.lastCheck.checkedAt)} ${row.lastCheck.action}`
              : row.lastRun
                ? `${shortTime(row.lastRun.asOf)} run ${row.lastRun.outcome}`
                : undefined,
            row.why,
            row.next,
          ]),
        ),
      );
      const waiting = models.filter((row) => row.needsAttention).length;
      io.out(`\n${models.length - waiting} healthy, ${waiting} need attention`);
    });
}
