import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePolicy } from '#domain/policy.ts';
import { runSimulation } from '../../cli/simulate/report.ts';
import { generateSeries } from '../../cli/simulate/series.ts';
import { cliIn } from '../support/cli.ts';

let home: string;
const { kaizen, file } = cliIn(() => home);

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-simulate-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

const oneLine = parsePolicy({
  modelId: 'one-line',
  kpis: [{ metric: 'conversion_rate', maxRelativeDrop: 0.15 }],
  training: { dataset: 'd.csv', label: 'y', features: ['x'] },
  evaluation: { holdout: 'h.csv' },
});

describe('simulated KPI series', () => {
  it('are labelled and seeded: the same seed gives the same series', () => {
    const a = generateSeries('slow-decline', oneLine.kpis, 100, '2026-01-05T00:00:00.000Z', 42);
    const b = generateSeries('slow-decline', oneLine.kpis, 100, '2026-01-05T00:00:00.000Z', 42);
    expect(a).toEqual(b);
    expect(a.changeAt).toBeGreaterThanOrEqual(30);
    const days = a.days.conversion_rate ?? [];
    const before = days[(a.changeAt ?? 0) - 1]?.value ?? 0;
    const later = days[(a.changeAt ?? 0) + 20]?.value ?? 1;
    expect(later).toBeLessThan(before);
    const gaps =
      generateSeries('gaps', oneLine.kpis, 100, '2026-01-05T00:00:00.000Z', 1).days.conversion_rate ?? [];
    expect(gaps.filter((day) => day === undefined).length).toBeGreaterThanOrEqual(3);
  });
});

describe('runSimulation (seeded, small: rates with generous margins)', () => {
  const result = runSimulation(oneLine, { models: 12, seed: 3, anchors: true });
  const rows = Object.fromEntries((result.detectors.policy ?? []).map((row) => [row.kind, row]));

  it('the one-line policy does not retrain healthy models and catches the degrading ones', () => {
    for (const kind of ['stationary', 'weekly-seasonal', 'low-volume', 'outliers', 'gaps'])
      expect(rows[kind]?.falseRetrainRate, kind).toBeLessThanOrEqual(0.1);
    expect(rows['abrupt-drop']?.detectionRate).toBeGreaterThanOrEqual(0.9);
    expect(rows['abrupt-drop']?.medianDelay).toBeLessThanOrEqual(3);
    expect(rows['slow-decline']?.detectionRate).toBeGreaterThanOrEqual(0.9);
    expect(rows['slow-decline']?.medianDelay).toBeLessThanOrEqual(10);
  });

  it('the anchors show what the statistics fix: the old rules retrain on seasonality and outliers', () => {
    const old = Object.fromEntries((result.detectors['old rules'] ?? []).map((row) => [row.kind, row]));
    expect(old['weekly-seasonal']?.falseRetrainRate).toBeGreaterThanOrEqual(0.5);
    expect(old.outliers?.falseRetrainRate).toBeGreaterThanOrEqual(0.5);
  });
});

describe('kaizen simulate', () => {
  it('prints the rates per kind beside the goals, and the verification figures', async () => {
    const policy = await file(
      'policy.json',
      JSON.stringify({ kpis: [{ metric: 'conversion_rate', maxRelativeDrop: 0.15 }] }),
    );
    const run = await kaizen(
      'simulate',
      policy,
      '--models',
      '3',
      '--kinds',
      'stationary,abrupt-drop',
      '--deploys',
      '10',
    );
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^stationary +\d+\.\d% +- +- +false <= 5\.0%/m);
    expect(run.out).toMatch(/^abrupt-drop +\d+\.\d% +\d+\.\d% +\d+(\.5)? windows/m);
    expect(run.out).toMatch(/post-deploy verification \(bakePeriod PT1H, maxChecks 3, maxRelativeDrop 0\.1/);
    const json = JSON.parse(
      (await kaizen('--json', 'simulate', policy, '--models', '2', '--kinds', 'gaps', '--deploys', '4')).out,
    );
    expect(json.detectors.policy).toEqual([expect.objectContaining({ kind: 'gaps', models: 2 })]);
    expect(json.verification.healthy).toMatchObject({ models: 4 });
  });

  it.each([
    [
      'an unknown kind',
      { kpis: [{ metric: 'm', maxRelativeDrop: 0.1 }] },
      ['--kinds', 'sideways'],
      /unknown kind "sideways"/,
    ],
    ['a policy without KPI rules', { drift: { maxScore: 0.2 } }, [], /no KPI rules to simulate/],
    ['hourly windows', { window: 'PT1H', kpis: [{ metric: 'm' }] }, [], /uses daily windows/],
    ['an invalid rule', { kpis: [{ metric: 'm', maxRelativeDrop: 2 }] }, [], /kpis\[0\]\.maxRelativeDrop/],
  ])('refuses %s (exit 2)', async (_case, document, extra, message) => {
    const policy = await file('bad.json', JSON.stringify(document));
    const run = await kaizen('simulate', policy, '--models', '1', ...extra);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
  });
});
