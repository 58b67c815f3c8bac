import { describe, expect, it } from 'vitest';
import type { Observation } from '#domain/observations.ts';
import { bucketWindows, summarize } from '#domain/windows.ts';

const DAY = 86_400;
const kpi = (timestamp: string, metric: string, value: number, count: number): Observation => ({
  type: 'kpi',
  modelId: 'm',
  metric,
  value,
  count,
  timestamp,
});
const rows: Observation[] = [
  kpi('2026-11-01T06:00:00.000Z', 'ctr', 0.1, 100),
  kpi('2026-11-01T18:00:00.000Z', 'ctr', 0.3, 300),
  kpi('2026-11-03T12:00:00.000Z', 'b', 2, 10),
  kpi('2026-11-03T12:00:00.000Z', 'a', 1, 10),
  kpi('2026-11-06T00:00:00.000Z', 'ctr', 0.2, 50),
];

describe('bucketWindows', () => {
  it('summarizes each window of the span, oldest first, count-weighted, metrics in name order', () => {
    const windows = bucketWindows('2026-11-01T00:00:00.000Z', DAY, 5, rows);
    expect(windows.map((w) => w.window.start.slice(0, 10))).toEqual([
      '2026-11-01',
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
    ]);
    expect(windows[0]?.kpis).toEqual([{ metric: 'ctr', value: 0.25, count: 400, observations: 2 }]);
    expect(windows[2]?.kpis.map((k) => k.metric)).toEqual(['a', 'b']);
    // Empty windows, and the row on the span's end, which belongs to the next window.
    expect(windows[1]).toEqual({
      window: { start: '2026-11-02T00:00:00.000Z', end: '2026-11-03T00:00:00.000Z' },
      kpis: [],
      drift: [],
    });
    expect(windows.flatMap((w) => w.kpis).filter((k) => k.metric === 'ctr')).toHaveLength(1);
  });

  it('gives the same windows for a later start on the same grid as a slice of a longer span (KPI reference periods reuse the lookback)', () => {
    const long = bucketWindows('2026-10-30T00:00:00.000Z', DAY, 9, rows);
    expect(bucketWindows('2026-11-01T00:00:00.000Z', DAY, 5, rows)).toEqual(long.slice(2, 7));
  });

  it('summarizes an empty window as one without KPIs, drift or quality', () => {
    const window = { start: '2026-11-02T00:00:00.000Z', end: '2026-11-03T00:00:00.000Z' };
    expect(summarize(window, [])).toEqual({ window, kpis: [], drift: [] });
  });
});
