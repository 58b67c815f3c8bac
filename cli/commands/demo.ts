import { resolve } from 'node:path';
import type { Command } from 'commander';
import { kaizenHome } from '../home.ts';
import { type Fail, type Io, UsageError } from '../io.ts';
import { globalOptions, positiveInteger } from '../options.ts';

/** Registers `kaizen demo`; a simulation in which the loop does not recover makes the exit code 1 (`fail`). */
export function registerDemoCommand(program: Command, io: Io, fail: Fail): void {
  program
    .command('demo')
    .description(
      'closed-loop simulation on a fresh local stack: a churn model, a market change, the loop fixing it',
    )
    .option('--days <n>', 'simulated days', '30')
    .option('--shift-day <n>', 'day the world changes', '12')
    .option('--seed <n>', 'random seed', '7')
    .action(async (options: { days: string; shiftDay: string; seed: string }) => {
      // Loaded on demand: the simulation is only needed by this command.
      const { DEMO_DEFAULTS, runDemo } = await import('../demo/demo.ts');
      const { formatDay, formatSummary } = await import('../demo/timeline.ts');
      const globals = globalOptions(program);
      const home = resolve(kaizenHome(globals.home), 'demo');
      const demoOptions = {
        ...DEMO_DEFAULTS,
        home,
        days: positiveInteger('--days', options.days),
        shiftDay: positiveInteger('--shift-day', options.shiftDay),
        seed: positiveInteger('--seed', options.seed),
      };
      if (demoOptions.shiftDay >= demoOptions.days) {
        throw new UsageError(
          `--shift-day ${demoOptions.shiftDay} must come before the last day (--days ${demoOptions.days})`,
        );
      }
      const json = globals.json;
      if (!json) {
        io.out(
          `Kaizen Loop demo: a churn model picks the riskiest ${DEMO_DEFAULTS.targetShare * 100}% of ` +
            `${DEMO_DEFAULTS.customersPerDay} customers a day for a retention offer; KPI = precision of the offers.`,
        );
        io.out(`The market changes on day ${demoOptions.shiftDay}. Local stack state: ${home}\n`);
      }
      const result = await runDemo(demoOptions, io, (day) => {
        if (!json) io.out(formatDay(day, demoOptions.shiftDay));
      });
      if (json) io.out(JSON.stringify(result));
      else io.out(formatSummary(result, home));
      if (!result.recovered) fail();
    });
}
