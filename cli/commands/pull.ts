import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Command } from 'commander';
import { TimestampSchema } from '#domain/timestamp.ts';
import { recordedMetricData } from '#local/integrations/cloudwatch.ts';
import { type MetricDataReader, pullMetrics } from '../../functions/pull/pull.ts';
import { kaizenHome } from '../home.ts';
import { type Fail, type Io, UsageError } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';
import { printLoop } from '../render.ts';

/** Registers `kaizen pull`: what the scheduled pull does, now (or as of `--at`). */
export function registerPullCommand(program: Command, io: Io, fail: Fail): void {
  program
    .command('pull')
    .description(
      "read KPIs kept as CloudWatch metrics (a KPI rule's source.cloudwatch) over the last complete windows and " +
        'store them, as the scheduled pull does; locally from recorded GetMetricData answers in <home>/cloudwatch/',
    )
    .option('--at <time>', 'pull as of this time instead of now (ISO-8601)')
    .action(async (options: { at?: string }) => {
      const globals = globalOptions(program);
      const at = options.at === undefined ? new Date() : new Date(parseAt(options.at));
      const result = await withBackend(globals, async (backend) => {
        const cloudwatch = backend.local ? undefined : new CloudWatchClient({});
        const reader: MetricDataReader = cloudwatch
          ? { getMetricData: (input) => cloudwatch.send(new GetMetricDataCommand(input)) }
          : recordedMetricData(kaizenHome(globals.home));
        try {
          const pulled = await pullMetrics(backend.ctx, reader, at);
          const checks = backend.local ? await backend.stored(pulled.newest) : [];
          return { models: pulled.models, checks, loops: await backend.drain() };
        } finally {
          cloudwatch?.destroy();
        }
      });
      if (globals.json) io.out(JSON.stringify(result));
      else {
        if (result.models.length === 0) io.out('no model has a KPI with a CloudWatch source');
        for (const model of result.models) {
          io.out(
            `${model.modelId}: ${model.start} to ${model.end}: stored ${model.stored}, unchanged ${model.unchanged}, ` +
              `rejected ${model.rejected.length}`,
          );
          for (const row of model.rejected) io.err(`${model.modelId}: ${row.reason}`);
        }
        for (const loop of result.loops) printLoop(io, loop);
      }
      if (result.models.some((model) => model.rejected.length > 0)) fail();
    });
}

function parseAt(text: string): string {
  const parsed = TimestampSchema.safeParse(text);
  if (!parsed.success)
    throw new UsageError(`--at: must be an ISO-8601 timestamp with a time zone, got "${text}"`);
  return parsed.data;
}
