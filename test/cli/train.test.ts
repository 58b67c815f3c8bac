import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNumericTable } from '#datasets/index.ts';
import { scoreAll } from '#domain/metrics.ts';
import { mulberry32 } from '#domain/random.ts';
import { column } from '#domain/table.ts';
import { fitLogisticRegression, parseModel, predictTable } from '#domain/trainer.ts';
import type { TrainReport } from '../../cli/commands/train.ts';
import { cliIn } from '../support/cli.ts';
import { parquetBytes } from '../support/parquet.ts';

let home: string;
const { kaizen, file } = cliIn(() => home);

/** 3,000 rows: two informative features, one noise column, an id and a text column; seeded. */
function dataset(): string {
  const random = mulberry32(42);
  const lines = ['id,tenure,charges,noise,plan,churned'];
  for (let i = 0; i < 3000; i++) {
    const tenure = random() * 60;
    const charges = 20 + random() * 80;
    const z = 1.2 - 0.08 * tenure + 0.03 * charges;
    const churned = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    lines.push(`${i},${tenure.toFixed(3)},${charges.toFixed(2)},${random().toFixed(4)},p${i % 3},${churned}`);
  }
  return `${lines.join('\n')}\n`;
}

let csvPath: string;
let csvText: string;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-train-cli-'));
  csvText = dataset();
  csvPath = await file('churn.csv', csvText);
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('kaizen train', () => {
  it('trains on every other numeric column and prints rows, features, iterations and training metrics', async () => {
    const run = await kaizen('train', '--data', csvPath, '--label', 'churned');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const lines = run.out.split('\n');
    expect(lines[0]).toMatch(
      /^Trained logistic regression on .*churn\.csv: 3,000 rows, 4 features, l2 0\.001: \d+ iterations in \d+\.\d{3} s \(read in \d+\.\d{3} s\)$/,
    );
    expect(lines[1]).toBe('Features: id, tenure, charges, noise');
    expect(lines[2]).toMatch(/^METRIC +TRAINING$/);
    const metrics = Object.fromEntries(lines.slice(4, 7).map((line) => line.split(/ +/) as [string, string]));
    expect(Object.keys(metrics)).toEqual(['auc', 'logloss', 'accuracy']);
    expect(Number(metrics.auc)).toBeGreaterThan(0.75);
    expect(Number(metrics.logloss)).toBeLessThan(0.6);
  });

  it('prints the same model and metrics as the trainer itself with --json, and writes the artifact with --out', async () => {
    const out = join(home, 'model.json');
    const run = await kaizen(
      '--json',
      'train',
      '--data',
      csvPath,
      '--label',
      'churned',
      '--features',
      'tenure, charges',
      '--l2',
      '0.01',
      '--out',
      out,
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as TrainReport;
    const table = await parseNumericTable(csvText, ['tenure', 'charges', 'churned']);
    const expected = fitLogisticRegression(table, ['tenure', 'charges'], 'churned', { l2: 0.01 });
    expect(report).toMatchObject({
      rows: 3000,
      label: 'churned',
      features: ['tenure', 'charges'],
      l2: 0.01,
      iterations: expected.iterations,
      model: expected.model,
      out,
    });
    expect(report.gradient).toBeLessThanOrEqual(1e-6);
    expect(report.training).toEqual(scoreAll(column(table, 'churned'), predictTable(expected.model, table)));
    // The true model has AUC ~0.8 on this data; the fit matches it on its training rows.
    expect(report.training.auc).toBeGreaterThan(0.75);
    expect(parseModel(JSON.parse(await readFile(out, 'utf8')))).toEqual(expected.model);
  });

  it('reads Parquet too', async () => {
    const table = await parseNumericTable(csvText, ['tenure', 'charges', 'churned']);
    const bytes = parquetBytes({
      tenure: column(table, 'tenure'),
      charges: column(table, 'charges'),
      churned: column(table, 'churned'),
    });
    const path = join(home, 'churn.parquet');
    await (await import('node:fs/promises')).writeFile(path, bytes);
    const run = await kaizen('train', '--data', path, '--label', 'churned', '--json');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.out) as TrainReport;
    expect(report.features).toEqual(['tenure', 'charges']);
    expect(report.model).toEqual(
      fitLogisticRegression(table, ['tenure', 'charges'], 'churned', { l2: 0.001 }).model,
    );
  });

  it.each<[string, string[], string | RegExp]>([
    ['a missing file', ['--data', 'nope.csv', '--label', 'y'], '--data nope.csv: no such file'],
    [
      'a cell that is not a number',
      ['--label', 'y', '--features', 'a'],
      /bad\.csv:3: column "y": "x" is not a finite number$/,
    ],
    [
      'a label other than 0/1',
      ['--label', 'a', '--features', 'b'],
      /bad\.csv: 3 problems:\n {2}.*bad\.csv:2: label "a" is 5, expected 0 or 1\n/,
    ],
    [
      'an unknown feature',
      ['--label', 'y', '--features', 'a,zz'],
      /bad\.csv: missing column "zz" \(header: a, b, y\)$/,
    ],
    ['a negative l2', ['--label', 'y', '--l2', '-1'], '--l2 must be a non-negative number, got "-1"'],
    ['the label among the features', ['--label', 'y', '--features', 'a,y'], '--features names the label "y"'],
    ['an unknown format', ['--data', 'data.txt', '--label', 'y'], 'unknown dataset format ".txt"'],
  ])('exits 2 on %s, naming the file, line and column', async (_, args, message) => {
    const bad = await file('bad.csv', 'a,b,y\n5,1,0\n2,2,x\n3,3,1\n');
    const withData = args.includes('--data') ? args : ['--data', bad, ...args];
    const run = await kaizen('train', ...withData);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    if (typeof message === 'string') expect(run.err).toContain(message);
    else expect(run.err).toMatch(message);
  });

  it('exits 2 when training does not converge, saying why', async () => {
    const separable = await file('separable.csv', 'x,y\n1,0\n2,0\n3,1\n4,1\n');
    const run = await kaizen(
      'train',
      '--data',
      separable,
      '--label',
      'y',
      '--l2',
      '0',
      '--max-iterations',
      '3',
    );
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/training did not converge \(not converged after 3 iterations; .*set l2 > 0/);
  });
});
