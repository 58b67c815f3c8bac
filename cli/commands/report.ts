import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type Io, UsageError } from '../io.ts';
import { globalOptions, positiveInteger, withBackend } from '../options.ts';

/**
 * Registers `kaizen report --model <id> [--out file] [--days N]` and `kaizen report --fleet`: one self-contained
 * HTML file (charts drawn by the Vega build inlined in it; no network when viewed).
 */
export function registerReportCommand(program: Command, io: Io): void {
  program
    .command('report')
    .description(
      "an HTML report: a model's KPIs, drift, versions, decisions, data quality and ROI, or the fleet's states",
    )
    .option('--model <id>', 'model id')
    .option('--fleet', "every model's state")
    .option(
      '--out <file>',
      'where to write the HTML (default: kaizen-report-<model>.html or kaizen-fleet.html)',
    )
    .option('--days <n>', 'days of windows to show', '30')
    .action(async (options: { model?: string; fleet?: boolean; out?: string; days: string }) => {
      if (Boolean(options.model) === Boolean(options.fleet))
        throw new UsageError('give --model <id> or --fleet');
      const days = positiveInteger('--days', options.days);
      const globals = globalOptions(program);
      const out = resolve(
        options.out ?? (options.fleet ? 'kaizen-fleet.html' : `kaizen-report-${options.model}.html`),
      );
      // Loaded on demand: the charting library and its compiler are only needed here.
      const [{ gatherFleetReport, gatherModelReport }, { fleetReportHtml, modelReportHtml }] =
        await Promise.all([import('../report/gather.ts'), import('../report/build.ts')]);
      const html = await withBackend(
        globals,
        async ({ ctx }) =>
          options.model
            ? modelReportHtml(await gatherModelReport(ctx, options.model, days))
            : fleetReportHtml(await gatherFleetReport(ctx)),
        { shared: true },
      );
      await writeFile(out, html).catch((error: Error) => {
        throw new UsageError(`${out}: ${error.message}`);
      });
      if (globals.json) return io.out(JSON.stringify({ out, bytes: Buffer.byteLength(html) }));
      io.out(`wrote ${options.model ? `the report of ${options.model}` : 'the fleet report'} to ${out}`);
    });
}
