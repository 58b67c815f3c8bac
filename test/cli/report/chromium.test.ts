import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetReportHtml, modelReportHtml } from '../../../cli/report/build.ts';
import { findChromium, NO_CHROMIUM, renderInChromium } from '../../support/chromium.ts';
import { fleetFixture, reportFixture } from '../../support/report-fixture.ts';

// The report's promise is charts that draw in a browser with no network: this is checked in a real one.
let dir: string;
let chromium: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kaizen-report-'));
  chromium = await findChromium();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Counts of the SVG mark groups Vega drew, by mark type, inside each chart's element. */
function marksByChart(dom: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const parts = dom.split(/<div class="chart" id="/).slice(1);
  for (const part of parts) {
    const id = part.slice(0, part.indexOf('"'));
    const svg = /<svg[\s\S]*?<\/svg>/.exec(part)?.[0] ?? '';
    counts[id] = (svg.match(/<(path|line|rect)\b/g) ?? []).length;
  }
  return counts;
}

describe('the HTML report in headless Chromium', () => {
  it('draws every chart of a model report, without a console message', async (ctx) => {
    if (!chromium) return ctx.skip(NO_CHROMIUM);
    const file = join(dir, 'model.html');
    await writeFile(file, modelReportHtml(reportFixture('</script><b>x</b>')));
    const { dom, console } = await renderInChromium(chromium, file);
    expect(console).toEqual([]);
    expect(dom).toContain('data-charts="drawn 5"');
    const marks = marksByChart(dom);
    // 14 KPI windows (line, points, intervals), 42 drift cells, 2 × 20 distribution bars, version bars, an uplift.
    expect(marks['chart-kpi-0']).toBeGreaterThan(28);
    expect(marks['chart-drift']).toBeGreaterThanOrEqual(42);
    expect(marks['chart-distributions']).toBeGreaterThanOrEqual(40);
    expect(marks['chart-versions']).toBeGreaterThanOrEqual(2);
    expect(marks['chart-roi']).toBeGreaterThanOrEqual(1);
    // The hostile feature name was shown as text, not run as markup.
    expect(dom).not.toContain('<b>x</b>');
  });

  it('draws the fleet view', async (ctx) => {
    if (!chromium) return ctx.skip(NO_CHROMIUM);
    const file = join(dir, 'fleet.html');
    await writeFile(file, fleetReportHtml(fleetFixture()));
    const { dom, console } = await renderInChromium(chromium, file);
    expect(console).toEqual([]);
    expect(dom).toContain('data-charts="drawn 1"');
    expect(marksByChart(dom)['chart-fleet']).toBeGreaterThanOrEqual(2);
  });
});
