import { access } from 'node:fs/promises';
import type { Command } from 'commander';
import { DatasetError } from '#contracts/errors.ts';
import { ingestObservations } from '../../functions/ingest/ingest.ts';
import { readRows } from '../ingest.ts';
import { type Fail, type Io, UsageError } from '../io.ts';
import { globalOptions, withBackend } from '../options.ts';
import { printLoop } from '../render.ts';

/** Registers `kaizen ingest <file>`; rejected rows make the exit code 1 (`fail`). */
export function registerIngestCommand(program: Command, io: Io, fail: Fail): void {
  program
    .command('ingest')
    .argument('<file>', 'JSON Lines (.jsonl) or CSV (.csv) of KPI observations and drift scores')
    .description('load observations; bad rows are reported with their line and nothing valid is lost')
    .action(async (path: string) => {
      const globals = globalOptions(program);
      await access(path).catch((error: Error) => {
        throw new UsageError(`${path}: ${error.message}`);
      });
      const result = await withBackend(globals, async (backend) => {
        const ingest = await ingestObservations(backend.ctx, readRows(path)).catch((error: Error) => {
          // A file-level problem (a CSV header naming a column twice) is found before any row is stored.
          if (error instanceof DatasetError) throw new UsageError(`${path}: ${error.message}`);
          throw error;
        });
        // Locally the newest stored row of each model goes to the trigger's code, as the table's stream does on AWS.
        const { newest, ...summary } = ingest;
        const checks = backend.local ? await backend.stored(newest) : [];
        return { ...summary, checks, loops: await backend.drain() };
      });
      if (globals.json) io.out(JSON.stringify({ file: path, ...result }));
      else {
        const notes = [
          ...(result.duplicates > 0 ? [`${result.duplicates} repeated rows stored once`] : []),
          ...(result.unchanged > 0 ? [`${result.unchanged} rows already stored`] : []),
        ];
        const note = notes.length > 0 ? ` (${notes.join(', ')})` : '';
        io.out(`${path}: stored ${result.stored} rows, rejected ${result.rejected.length}${note}`);
        for (const row of result.rejected) io.err(`${path}:${row.line}: ${row.reason}`);
        for (const { modelId, metric, rows } of result.unknownMetrics) {
          io.err(
            `${path}: warning: ${rows} rows name metric "${metric}", which the policy of ${modelId} does not use ` +
              '(stored; no rule reads them)',
          );
        }
        for (const check of result.checks.filter((c) => c.action !== 'none')) {
          io.out(
            `${check.modelId}: ${check.summary}${check.start ? ` [loop ${check.start}: ${check.execution}]` : ''}`,
          );
        }
        for (const loop of result.loops) printLoop(io, loop);
      }
      if (result.rejected.length > 0) fail();
    });
}
