import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

  it("ends by writing its report, with the charts' data from what the loop stored", async () => {
    expect(result.report).toBe(join(home, 'demo', 'report.html'));
    const html = await readFile(result.report, 'utf8');
    const json = /<script type="application\/json" id="kaizen-data">([\s\S]*?)<\/script>/.exec(html)?.[1];
    const payload = JSON.parse(json ?? '{}') as {
      charts: { id: string }[];
      data: Record<string, { [k: string]: unknown }[]>;
    };
    expect(payload.charts.map((c) => c.id)).toEqual([
      'chart-kpi-0',
      'chart-drift',
      'chart-distributions',
      'chart-versions',
      'chart-roi',
    ]);
    // One KPI point per simulated day, with the precision the simulation measured.
    const points = payload.data.kpi_0 ?? [];
    expect(points).toHaveLength(DEMO_DEFAULTS.days);
    for (const day of result.days) {
      const point = points.find((p) => String(p.start).startsWith(day.date));
      expect(point?.value).toBeCloseTo(day.precision, 12);
    }
    // Drift of monthly_charges peaks after the change; each promotion is on the versions timeline.
    const charges = (payload.data.drift ?? []).filter((c) => c.feature === 'monthly_charges');
    expect(Math.max(...charges.map((c) => Number(c.score)))).toBeGreaterThan(0.25);
    const promoted = (payload.data.versions ?? []).filter((v) => v.kind === 'promoted');
    expect(promoted).toHaveLength(result.promotions);
    expect((payload.data.roi ?? []).length).toBe(result.promotions);
    expect(html).toContain('<span class="state ok">healthy</span>');
  });
});
