import { parse, View } from 'vega';
import { describe, expect, it } from 'vitest';
import {
  compileCharts,
  escapeHtml,
  fleetReportHtml,
  modelReportHtml,
  scriptJson,
} from '../../../cli/report/build.ts';
import { fleetFixture, reportFixture } from '../../support/report-fixture.ts';

/** The embedded payload of a report, parsed back as the page's script does. */
function payloadOf(html: string): {
  charts: { id: string; spec: { data?: { name: string; values?: unknown[] }[] } }[];
  data: Record<string, unknown[]>;
} {
  const match = /<script type="application\/json" id="kaizen-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match?.[1]) throw new Error('no payload');
  return JSON.parse(match[1]);
}

/** Renders one compiled chart with the payload's data to SVG, in Node (Vega's headless renderer). */
async function svgOf(chart: ReturnType<typeof payloadOf>['charts'][number], data: Record<string, unknown[]>) {
  const spec = structuredClone(chart.spec);
  for (const source of spec.data ?? []) if (source.name in data) source.values = data[source.name];
  const view = new View(parse(spec as never), { renderer: 'none' });
  return view.toSVG();
}

describe('model report', () => {
  const html = modelReportHtml(reportFixture());
  const payload = payloadOf(html);

  it('embeds every chart and its data, and Vega itself (no network at view time)', () => {
    expect(payload.charts.map((c) => c.id)).toEqual([
      'chart-kpi-0',
      'chart-drift',
      'chart-distributions',
      'chart-versions',
      'chart-roi',
    ]);
    expect(payload.data.kpi_0).toHaveLength(14);
    expect(payload.data.drift).toHaveLength(42);
    expect(html).toMatch(/<script>!function\(t,e\)\{"object"==typeof exports/);
    expect(html).not.toMatch(
      /<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!vega\.github\.io\/schema|www\.w3\.org)/,
    );
    for (const chart of payload.charts) expect(html).toContain(`id="${chart.id}"`);
  });

  it('every chart renders marks from its data', async () => {
    const marks: Record<string, number> = {};
    for (const chart of payload.charts) {
      const svg = await svgOf(chart, payload.data);
      marks[chart.id] = (svg.match(/<path|<rect|<line/g) ?? []).length;
    }
    // KPI: 14 points with interval rules and a line; drift: 42 cells; distributions: 2 features × 20 bars.
    expect(marks['chart-kpi-0']).toBeGreaterThan(28);
    expect(marks['chart-drift']).toBeGreaterThanOrEqual(42);
    expect(marks['chart-distributions']).toBeGreaterThanOrEqual(40);
    expect(marks['chart-versions']).toBeGreaterThanOrEqual(4);
    expect(marks['chart-roi']).toBeGreaterThanOrEqual(2);
  });

  it('shows the state, the decision log, data-quality findings and the ROI with its money', () => {
    expect(html).toContain('<span class="state bad">blocked</span>');
    expect(html).toContain('fix the data or <code>kaizen run --model churn --force</code>');
    expect(html).toContain('v3 rejected by the gate: auc 0.70 vs 0.71');
    expect(html).toContain('merchant_risk: 110 of 2000 values out of range');
    expect(html).toContain('2100.00 USD [1225.00, 2975.00]');
    expect(html).toMatch(/Loop cost: <b>\$0\.0053 a month<\/b>/);
  });

  it('escapes what users control, in the page and in the embedded JSON', () => {
    const hostile = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';
    const page = modelReportHtml(reportFixture(hostile));
    // The only script elements are the three the builder writes.
    expect(page.match(/<script/g)).toHaveLength(3);
    expect(page).not.toContain('<img src=x');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
    // The payload still carries the exact text.
    expect(JSON.stringify(payloadOf(page).data)).toContain(hostile.replace(/"/g, '\\"'));
  });
});

describe('fleet report', () => {
  it("lists every model's state worst first and charts the states", async () => {
    const html = fleetReportHtml(fleetFixture());
    expect(html).toMatch(
      /churn<\/td><td><span class="state bad">blocked[\s\S]*fraud<\/td><td><span class="state ok">healthy/,
    );
    const payload = payloadOf(html);
    const svg = await svgOf(payload.charts[0] as never, payload.data);
    expect((svg.match(/<path/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });
});

describe('escaping', () => {
  it.each([['<b>"x" & \'y\'</b>', '&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;']])(
    'escapeHtml(%s)',
    (input, output) => {
      expect(escapeHtml(input)).toBe(output);
    },
  );

  it('scriptJson cannot close its element and parses back to the same value', () => {
    const value = { a: '</script><!-- \u2028', n: Number.NaN };
    const text = scriptJson(value);
    expect(text).not.toMatch(/<|>/);
    expect(JSON.parse(text)).toEqual({ a: value.a, n: null });
  });

  it('compiles to Vega without the Vega-Lite compiler in the page', () => {
    const [chart] = compileCharts([
      { id: 'c', title: 't', spec: { data: { name: 'x' }, mark: 'bar', encoding: {} } },
    ]);
    expect(JSON.stringify(chart?.spec)).toMatch(/"\$schema":"https:\/\/vega\.github\.io\/schema\/vega\/v6/);
  });
});
