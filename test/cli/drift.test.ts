import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '#datasets/index.ts';
import type { MonitoringResult } from '#domain/monitoring.ts';
import { registerDriftCommand } from '../../cli/commands/drift.ts';
import { ROOT } from '../support/loop.ts';
import { parquetBytes } from '../support/parquet.ts';

const FIXTURES = join(ROOT, 'test/fixtures/datasets');
const REFERENCE = join(FIXTURES, 'reference.csv');
const CURRENT_JSONL = join(FIXTURES, 'current.jsonl');
const CURRENT_CSV = join(FIXTURES, 'current.csv');
const FEATURES = 'customer_age,monthly_spend,sessions,plan,is_mobile,country';

/** Runs `drift` on a fresh program (optionally with the real CLI's global `--json`), capturing output. */
async function drift(args: string[], options: { globalJson?: boolean } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  let failed = 0;
  let code = 0;
  const program = new Command('kaizen').exitOverride().configureOutput({
    writeOut: (text) => out.push(text.trimEnd()),
    writeErr: (text) => err.push(text.trimEnd()),
  });
  if (options.globalJson) program.option('--json', 'print JSON');
  registerDriftCommand(
    program,
    { out: (text) => out.push(text), err: (text) => err.push(text) },
    (exit = 1) => {
      failed++;
      code = exit;
    },
  );
  await program.parseAsync(args, { from: 'user' });
  return { out: out.join('\n'), err: err.join('\n'), failed, code };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'kaizen-drift-cli-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('kaizen drift', () => {
  it('prints drift per feature, the failed quality checks and the dataset drift share; exits 0 despite drift', async () => {
    const run = await drift([
      'drift',
      '--reference',
      REFERENCE,
      '--current',
      CURRENT_JSONL,
      '--features',
      FEATURES,
    ]);
    expect(run.failed).toBe(0);
    expect(run.err).toBe('');
    const lines = run.out.split('\n');
    expect(lines[0]).toMatch(/^FEATURE +TYPE +METHOD +SCORE +P-VALUE +THRESHOLD +DRIFTED +SEVERITY$/);
    const rows = Object.fromEntries(
      lines.slice(2, 8).map((line) => {
        const [feature, ...cells] = line.split(/ {2,}/);
        return [feature, cells];
      }),
    );
    expect(rows.customer_age).toEqual([
      'numeric',
      'ks',
      expect.any(String),
      expect.any(String),
      '0.05',
      'no',
      'none',
    ]);
    expect(rows.monthly_spend?.slice(0, 2)).toEqual(['numeric', 'ks']);
    expect(rows.monthly_spend?.slice(5)).toEqual(['yes', 'major']);
    expect(Number(rows.monthly_spend?.[3])).toBeLessThan(1e-10);
    expect(rows.plan?.slice(0, 2)).toEqual(['categorical', 'chisquare']);
    expect(rows.plan?.slice(5)).toEqual(['yes', 'moderate']);
    expect(rows.is_mobile?.slice(0, 2)).toEqual(['binary', 'ztest']);
    expect(rows.country?.slice(0, 2)).toEqual(['categorical', 'chisquare']);
    expect(run.out).toContain('  plan: 10.8% of current rows are in categories the reference never saw');
    expect(run.out).toContain('Data quality: failed (3 of 16 checks failed)');
    expect(run.out).toContain('  ! sessions type: 1 of 250 values are not numbers (0.40%; none allowed)');
    expect(run.out).toContain('  ! sessions missing-rate: 19 of 250 values are missing (7.6%; limit 5%)');
    expect(run.out).toContain(
      '  ! plan unseen-rate: 27 of 250 values are categories the reference never had',
    );
    expect(lines.at(-1)).toBe('Dataset drift: 2 of 6 features drifted (33.3%; threshold 50%): no drift');
  });

  it('prints the monitoring result as JSON, the same for the window in JSON Lines and in CSV', async () => {
    const args = ['--reference', REFERENCE, '--features', FEATURES, '--json'];
    const jsonl = JSON.parse(
      (await drift(['drift', ...args, '--current', CURRENT_JSONL])).out,
    ) as MonitoringResult;
    const csv = JSON.parse(
      (await drift(['drift', ...args, '--current', CURRENT_CSV])).out,
    ) as MonitoringResult;
    expect(csv).toEqual(jsonl);
    expect(jsonl).toMatchObject({ status: 'ok', rows: 250, referenceRows: 400 });
    expect(jsonl.dataset).toMatchObject({
      drifted: 2,
      total: 6,
      drift: false,
      driftedFeatures: ['monthly_spend', 'plan'],
    });
    expect(jsonl.features.map((f) => [f.feature, f.type])).toEqual([
      ['customer_age', 'numeric'],
      ['monthly_spend', 'numeric'],
      ['sessions', 'numeric'],
      ['plan', 'categorical'],
      ['is_mobile', 'binary'],
      ['country', 'categorical'],
    ]);
    expect(jsonl.quality.findings.filter((f) => !f.passed).map((f) => `${f.feature}:${f.check}`)).toEqual([
      'sessions:type',
      'sessions:missing-rate',
      'plan:unseen-rate',
    ]);
  });

  it('honours the CLI-wide --json option given before the command', async () => {
    const run = await drift(['--json', 'drift', '--reference', REFERENCE, '--current', CURRENT_CSV], {
      globalJson: true,
    });
    expect((JSON.parse(run.out) as MonitoringResult).features).toHaveLength(7);
  });

  it('compares every column of the reference by default, so an id column shows as all unseen', async () => {
    const result = JSON.parse(
      (await drift(['drift', '--reference', REFERENCE, '--current', CURRENT_CSV, '--json'])).out,
    ) as MonitoringResult;
    expect(result.features.map((f) => f.feature)).toEqual(['customer_id', ...FEATURES.split(',')]);
    expect(result.features[0]).toMatchObject({ type: 'categorical', drifted: true, severity: 'major' });
  });

  it('reads Parquet files like the others', async () => {
    const untyped = await parseCsv(await readFile(REFERENCE, 'utf8'));
    const columns = Object.fromEntries(
      Object.entries(untyped.columns).map(([name, values]) => [name, values as (string | null)[]]),
    );
    const parquet = join(tmp, 'reference.parquet');
    await writeFile(parquet, parquetBytes(columns, { rowGroupSize: 128 }));
    const args = ['--current', CURRENT_JSONL, '--features', FEATURES, '--json'];
    const fromParquet = JSON.parse(
      (await drift(['drift', '--reference', parquet, ...args])).out,
    ) as MonitoringResult;
    const fromCsv = JSON.parse(
      (await drift(['drift', '--reference', REFERENCE, ...args])).out,
    ) as MonitoringResult;
    expect(fromParquet).toEqual(fromCsv);
  });

  it('says the window is insufficient data below --min-rows, and judges no drift', async () => {
    const run = await drift([
      'drift',
      '--reference',
      REFERENCE,
      '--current',
      CURRENT_CSV,
      '--features',
      FEATURES,
      '--min-rows',
      '300',
    ]);
    expect(run.failed).toBe(0);
    expect(run.out).toMatch(/^monthly_spend +numeric +ks +- +- +0\.05 +no data +none$/m);
    expect(run.out).toContain('  ! row-count: 250 rows in the window (at least 300 needed)');
    expect(run.out.split('\n').at(-1)).toBe(
      'Dataset drift: not judged, insufficient data (250 rows in the current window)',
    );
  });

  it.each([
    [
      'a missing reference file',
      ['--reference', 'nope.csv', '--current', CURRENT_CSV],
      '--reference nope.csv: no such file',
    ],
    [
      'a missing current file',
      ['--reference', REFERENCE, '--current', 'gone.jsonl'],
      '--current gone.jsonl: no such file',
    ],
    [
      'an unknown feature',
      ['--reference', REFERENCE, '--current', CURRENT_CSV, '--features', 'plan,tenure'],
      `--features: unknown feature "tenure"; the reference ${REFERENCE} has columns customer_id, customer_age`,
    ],
    [
      'an unknown file type',
      ['--reference', 'ref.xlsx', '--current', CURRENT_CSV],
      'ref.xlsx: unknown dataset format ".xlsx"',
    ],
    [
      '--min-rows 0',
      ['--reference', REFERENCE, '--current', CURRENT_CSV, '--min-rows', '0'],
      '--min-rows must be a positive integer, got "0"',
    ],
    [
      'an empty --features',
      ['--reference', REFERENCE, '--current', CURRENT_CSV, '--features', ' , '],
      '--features names no column',
    ],
  ])('reports %s on stderr and exits 2 (bad input)', async (_case, args, message) => {
    const run = await drift(['drift', ...args]);
    expect(run.failed).toBe(1);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toContain(`kaizen drift: ${message}`);
  });

  it.each([
    [
      'a malformed JSON Lines window',
      'bad.jsonl',
      '{"plan":"basic"}\n{"plan":\n',
      'bad.jsonl:2: invalid JSON',
    ],
    ['a CSV window with a broken row', 'bad.csv', 'plan,country\nbasic,DE\npro\n', 'line 3'],
    ['an empty window', 'empty.csv', 'plan,country\n', 'has no rows'],
  ])('reports %s, naming the file and line, and fails', async (_case, name, text, message) => {
    const path = join(tmp, name);
    await writeFile(path, text);
    const run = await drift([
      'drift',
      '--reference',
      REFERENCE,
      '--current',
      path,
      '--features',
      'plan,country',
    ]);
    expect(run.failed).toBe(1);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
    expect(run.err).toContain(path);
  });

  it('documents the exit codes in its help', async () => {
    const out: string[] = [];
    const program = new Command('kaizen')
      .exitOverride()
      .configureOutput({ writeOut: (text) => out.push(text) });
    registerDriftCommand(program, { out: () => {}, err: () => {} }, () => {});
    await program.parseAsync(['drift', '--help'], { from: 'user' }).catch(() => undefined);
    const help = out.join('').replace(/\s+/g, ' ');
    expect(help).toContain('exit 0 whatever the verdict, 2 on bad input');
    expect(help).toContain('--features <a,b>');
  });
});
