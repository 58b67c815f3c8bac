/**
 * Peak memory of the Train step on a large CSV: writes a ~200 MB training CSV (1,000,000 rows x 20 numeric
 * features + label + an id column, seeded) into a local stack's bucket, then runs the step's `train()` in a
 * fresh child process per source tree and prints its peak RSS (`process.resourceUsage().maxRSS`) and time.
 * The local S3 server runs in this process, so the child's figure is the step alone.
 *
 * Run: `npx tsx bench/trainer-memory.ts [--rows n] [tree ...]`, a tree being a checkout of Kaizen Loop (default:
 * this one), e.g. `git archive <commit> | tar -x -C /tmp/before && ln -s $PWD/node_modules /tmp/before/`
 * to compare with an earlier version.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '#domain/random.ts';
import { startLocalStack } from '#local/stack.ts';
import { runSelf, uploadFile, writeLines } from './support.ts';

const FEATURES = 20;
const KEY = 'datasets/memory/train.csv';

function writeCsv(path: string, rows: number): Promise<void> {
  const random = mulberry32(7);
  const names = Array.from({ length: FEATURES }, (_, j) => `x${j}`);
  return writeLines(
    path,
    rows,
    (i) => {
      let z = -0.2;
      const cells: string[] = [];
      for (let j = 0; j < FEATURES; j++) {
        const x = (random() * 2 - 1) * (1 + j);
        z += (j % 2 ? -0.5 : 0.5) * (x / (1 + j));
        cells.push(x.toFixed(6));
      }
      return `c${i},${cells.join(',')},${random() < 1 / (1 + Math.exp(-z)) ? 1 : 0}`;
    },
    `id,${names.join(',')},y`,
  );
}

/** The child: trains with the `train()` of `tree` against the stack at `endpoints`, prints JSON. */
async function child(tree: string, endpoints: string, home: string): Promise<void> {
  const url = (path: string) => pathToFileURL(join(tree, path)).href;
  const { localContext } = await import(url('local/stack.ts'));
  const { parsePolicy } = await import(url('functions/domain/policy.ts'));
  const { train } = await import(url('functions/train/train.ts'));
  const ctx = localContext(JSON.parse(endpoints), { start: async () => {} }, home);
  const policy = parsePolicy({
    modelId: 'memory',
    window: 'P1D',
    kpis: [{ metric: 'campaign_precision', direction: 'higher', floor: 0.1 }],
    training: {
      dataset: KEY,
      label: 'y',
      features: Array.from({ length: FEATURES }, (_, j) => `x${j}`),
    },
    evaluation: { holdout: KEY, metric: 'auc' },
  });
  const asOf = new Date().toISOString();
  const run = {
    modelId: 'memory',
    force: true,
    dryRun: false,
    asOf,
    executionName: `mem-${Date.now()}`,
    startedAt: asOf,
  };
  const start = performance.now();
  const candidate = await train(ctx, { run, policy, champion: null });
  const seconds = (performance.now() - start) / 1000;
  ctx.close?.();
  console.log(
    JSON.stringify({
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      seconds,
      rows: candidate.dataset.rows,
      sha256: candidate.dataset.sha256,
    }),
  );
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const rowsAt = args.indexOf('--rows');
  const rows = rowsAt >= 0 ? Number(args[rowsAt + 1]) : 1_000_000;
  const trees = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--rows');
  const home = mkdtempSync(join(tmpdir(), 'kaizen-trainer-memory-'));
  const stack = await startLocalStack({ home });
  const ctx = stack.context({ start: async () => {} });
  try {
    const file = join(home, 'train.csv');
    await writeCsv(file, rows);
    const bytes = await uploadFile(ctx, file, KEY);
    console.log(
      `trainer memory: ${rows.toLocaleString('en')} rows x ${FEATURES} features, ${(bytes / 1e6).toFixed(0)} MB CSV`,
    );
    console.log('tree  peak RSS MB  seconds  rows  sha256');
    for (const tree of trees.length > 0 ? trees : [resolve(import.meta.dirname, '..')]) {
      const args = ['--child', tree, JSON.stringify(stack.endpoints), home];
      const result = await runSelf<{ maxRssMb: number; seconds: number; rows: number; sha256: string }>(
        import.meta.filename,
        args,
        { cwd: tree },
      ).catch((error: Error) => {
        console.log(`${tree}: failed: ${error.message}`);
        return undefined;
      });
      if (!result) continue;
      console.log(
        `${tree}  ${result.maxRssMb.toFixed(0)}  ${result.seconds.toFixed(1)}  ${result.rows}  ${result.sha256.slice(0, 12)}`,
      );
    }
  } finally {
    ctx.close();
    await stack.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child')
  await child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string);
else await main();
