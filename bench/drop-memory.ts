/**
 * Peak memory of the S3 drop folder on a large file: writes a JSON Lines file of `--rows` KPI rows (default
 * 1,000,000, ~120 MB; 20,000 distinct observations each repeated, so the local DynamoDB's writes do not dominate
 * the time) into a local stack's bucket under `ingest/`, then runs the ingest function's `ingestDropped()` in a
 * child process and prints its peak RSS (`process.resourceUsage().maxRSS`), the same figure for a child that only
 * loads the modules, and the time. The local servers run in this process, so the child's figure is the function's.
 *
 * Run: `npx tsx bench/drop-memory.ts [--rows n]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parsePolicy } from '#domain/policy.ts';
import { localContext, startLocalStack } from '#local/stack.ts';
import { putPolicy } from '#stores/policies.ts';
import { runSelf, uploadFile, writeLines } from './support.ts';

const KEY = 'ingest/bench/huge.jsonl';
const DISTINCT = 20_000;

function writeRows(path: string, rows: number): Promise<void> {
  const repeat = Math.max(1, Math.floor(rows / DISTINCT));
  return writeLines(path, rows, (i) => {
    const n = Math.floor(i / repeat);
    return JSON.stringify({
      type: 'kpi',
      modelId: 'bench',
      metric: 'precision',
      value: (n % 1000) / 1000,
      count: 100 + (n % 50),
      timestamp: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    });
  });
}

async function child(mode: string, endpoints: string, home: string): Promise<void> {
  const { ingestDropped } = await import('../functions/ingest/drop.ts');
  const ctx = localContext(JSON.parse(endpoints), { start: async () => {} }, home);
  const start = performance.now();
  const outcome = mode === 'load' ? undefined : await ingestDropped(ctx, KEY);
  const seconds = (performance.now() - start) / 1000;
  ctx.close();
  const report = outcome && 'report' in outcome ? outcome.report : undefined;
  console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, seconds, report }));
}

interface ChildFigures {
  maxRssMb: number;
  seconds: number;
  report: { stored: number; duplicates: number; unchanged: number; status: string };
}

const runChild = (mode: string, endpoints: string, home: string) =>
  runSelf<ChildFigures>(import.meta.filename, ['--child', mode, endpoints, home], {
    cwd: resolve(import.meta.dirname, '..'),
  });

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rowsAt = args.indexOf('--rows');
  const rows = rowsAt >= 0 ? Number(args[rowsAt + 1]) : 1_000_000;
  const home = mkdtempSync(join(tmpdir(), 'kaizen-drop-memory-'));
  const stack = await startLocalStack({ home });
  const ctx = stack.context({ start: async () => {} });
  try {
    await putPolicy(
      ctx,
      parsePolicy({
        modelId: 'bench',
        kpis: [{ metric: 'precision', floor: 0.1 }],
        training: { dataset: 'd.csv', label: 'y', features: ['a'] },
        evaluation: { holdout: 'h.csv' },
      }),
    );
    const file = join(home, 'huge.jsonl');
    await writeRows(file, rows);
    const bytes = await uploadFile(ctx, file, KEY);
    const endpoints = JSON.stringify(stack.endpoints);
    const loaded = await runChild('load', endpoints, home);
    const dropped = await runChild('drop', endpoints, home);
    console.log(`drop folder: ${rows.toLocaleString('en')} rows, ${(bytes / 1e6).toFixed(0)} MB JSON Lines`);
    console.log(`modules loaded only: peak RSS ${loaded.maxRssMb.toFixed(0)} MB`);
    console.log(
      `ingestDropped: peak RSS ${dropped.maxRssMb.toFixed(0)} MB, ${dropped.seconds.toFixed(1)} s, ` +
        `stored ${dropped.report.stored}, duplicates ${dropped.report.duplicates}, unchanged ${dropped.report.unchanged}, ` +
        `status ${dropped.report.status}`,
    );
  } finally {
    ctx.close();
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child')
  await child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string);
else await main();
