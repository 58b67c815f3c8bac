import type { Command } from 'commander';
import { fmt } from '#domain/format.ts';
import type { KpiUplift } from '#domain/roi.ts';
import { getPolicy } from '#stores/policies.ts';
import { listRuns } from '#stores/runs.ts';
import type { Io } from '../io.ts';
import { globalOptions, positiveInteger, withBackend } from '../options.ts';
import { shortTime } from '../render.ts';
import { gatherRoi, type RoiReport } from '../roi.ts';

/** Runs read for the deploys and the cost (newest first). */
export const ROI_RUNS = 500;

/** Registers `kaizen roi --model <id> [--days N]`: each deploy's KPI uplift and money, and the loop's cost. */
export function registerRoiCommand(program: Command, io: Io): void {
  program
    .command('roi')
    .description("each deploy's KPI uplift with its interval and money value, and the loop's own AWS cost")
    .requiredOption('--model <id>', 'model id')
    .option('--days <n>', 'longest serving period measured after each deploy', '28')
    .action(async (options: { model: string; days: string }) => {
      const globals = globalOptions(program);
      const days = positiveInteger('--days', options.days);
      const report = await withBackend(
        globals,
        async ({ ctx }) => {
          const policy = await getPolicy(ctx, options.model); // an unknown model is bad input (exit 2)
          return gatherRoi(ctx, policy, await listRuns(ctx, options.model, ROI_RUNS), days);
        },
        { shared: true },
      );
      // NaN (no figure) prints as null: { modelId, days, deploys[], cost } (README: kaizen roi --json).
      if (globals.json) return io.out(JSON.stringify(report));
      for (const line of roiLines(report)) io.out(line);
    });
}

/** `+0.0990 (+46%) [0.0712, 0.127]`: an uplift with its relative change and interval. */
export function formatUplift(kpi: KpiUplift): string {
  if (kpi.missing) return `no figure: ${kpi.missing}`;
  const sign = (value: number) => (value >= 0 ? `+${fmt(value)}` : fmt(value));
  const relative = Number.isFinite(kpi.relative)
    ? ` (${kpi.relative >= 0 ? '+' : ''}${(kpi.relative * 100).toFixed(1)}%)`
    : '';
  return `${sign(kpi.uplift)}${relative} [${fmt(kpi.lower)}, ${fmt(kpi.upper)}]`;
}

/** An amount of money: `1,234.50 USD`. */
export function money(amount: number, currency: string): string {
  return `${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
}

const METHOD = {
  'newcombe-wilson': 'Newcombe-Wilson',
  welch: 'Welch',
  'welch-rows': 'Welch on rows',
} as const;

/** The human form of `kaizen roi`. */
export function roiLines(report: RoiReport): string[] {
  const lines: string[] = [];
  const { deploys, cost } = report;
  lines.push(
    `${report.modelId}: ${deploys.length} ${deploys.length === 1 ? 'deploy' : 'deploys'} measured ` +
      `(each version's serving period, at most ${report.days} days, against as long before it)`,
  );
  for (const deploy of deploys) {
    const before = deploy.previousVersion === null ? 'no model' : `v${deploy.previousVersion}`;
    lines.push(
      `v${deploy.version} from ${shortTime(deploy.after.start)} to ${shortTime(deploy.after.end)}, against ${before} from ${shortTime(deploy.before.start)}`,
    );
    for (const kpi of deploy.kpis) {
      const counts = `n=${kpi.before.count.toLocaleString('en-US')} -> ${kpi.after.count.toLocaleString('en-US')}`;
      const level = kpi.missing ? '' : `${fmt(kpi.before.value)} -> ${fmt(kpi.after.value)}  `;
      const worth = kpi.money
        ? `  worth ${money(kpi.money.value, kpi.money.currency)} [${money(kpi.money.lower, kpi.money.currency)}, ${money(kpi.money.upper, kpi.money.currency)}]`
        : '';
      lines.push(
        `  ${kpi.metric}  ${level}${formatUplift(kpi)}  ${counts}  ${Math.round(kpi.confidence * 100)}% ${METHOD[kpi.method]}${worth}`,
      );
    }
  }
  const outcomes = Object.entries(cost.byOutcome)
    .map(([outcome, n]) => `${fmt(n)} ${outcome}`)
    .join(', ');
  lines.push(
    `loop cost: $${cost.total.toFixed(4)} a month: ${fmt(cost.checksPerMonth)} checks $${cost.checks.toFixed(4)} ` +
      `(${cost.counted.checks} in the last ${cost.counted.checkDays} days), ${fmt(cost.runsPerMonth)} runs $${cost.runs.toFixed(4)}` +
      `${outcomes ? ` (${outcomes})` : ''}; ${cost.basis}`,
  );
  return lines;
}
