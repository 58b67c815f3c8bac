import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, type DemoResult, runDemo } from '../../cli/demo/demo.ts';
import { formatDay } from '../../cli/demo/timeline.ts';

// The closed-loop demo is the product's story end to end; these assertions are the story.
let home: string;
let result: DemoResult;
const printed: string[] = [];

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-demo-'));
  result = await runDemo(
    { ...DEMO_DEFAULTS, home: join(home, 'demo') },
    { out: () => {}, err: (t) => printed.push(t) },
    (day) => printed.push(formatDay(day, DEMO_DEFAULTS.shiftDay)),
  );
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('kaizen demo', () => {
  it('simulates every day and runs the loop each day without a failed execution', () => {
    expect(result.days.map((day) => day.day)).toEqual(
      Array.from({ length: DEMO_DEFAULTS.days }, (_, i) => i + 1),
    );
    expect(result.days.every((day) => day.run !== undefined)).toBe(true);
    expect(printed.join('\n')).not.toContain('loop failed');
  });

  it('trains the first champion on day 1', () => {
    expect(result.days[0]?.run).toMatchObject({
      outcome: 'promoted',
      championBefore: null,
      championAfter: 1,
    });
  });

  it('stays quiet while the world is stable', () => {
    const stable = result.days.filter((day) => day.day > 1 && !day.shifted);
    expect(stable.every((day) => day.run?.outcome === 'no-action')).toBe(true);
  });

  it('shows the KPI falling after the change and the loop detecting it the same day', () => {
    expect(result.phases.degraded).toBeLessThan(result.phases.beforeShift * 0.8);
    const shiftDay = result.days.find((day) => day.day === DEMO_DEFAULTS.shiftDay);
    expect(shiftDay?.drift.monthly_charges).toBeGreaterThan(0.25);
    expect(shiftDay?.run?.triggers.join(' ')).toMatch(/features drifted.*monthly_charges/);
  });

  it('gates candidates: at least one is rejected and the champion only moves to better ones', () => {
    expect(result.rejections).toBeGreaterThanOrEqual(1);
    for (const day of result.days.filter(
      (d) => d.run?.outcome === 'promoted' && d.run.candidate?.championScore,
    )) {
      expect(day.run?.candidate?.score).toBeGreaterThan(day.run?.candidate?.championScore ?? 1);
    }
  });

  it('recovers the KPI after retraining, well above the degraded level', () => {
    expect(result.recovered).toBe(true);
    expect(result.phases.recovered).toBeGreaterThan(result.phases.degraded * 1.5);
    expect(result.promotions).toBeGreaterThanOrEqual(2);
  });
});
