/**
 * The report as one self-contained HTML file: Vega-Lite specs compiled to Vega here, the data embedded as JSON,
 * and Vega's own build inlined, so the file draws its charts with no network. Pure apart from reading the
 * library's file once: data in, HTML text out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { compile } from 'vega-lite';
import { stateLabel } from '#domain/attention.ts';
import type { ModelStatus } from '../states.ts';
import type { FleetReportData, ModelReportData } from './data.ts';

/** One chart: where it goes, its title, and its Vega-Lite spec (data by name from the payload). */
export interface Chart {
  id: string;
  title: string;
  spec: TopLevelSpec;
}

const OUTCOME_COLORS = {
  domain: ['promoted', 'rejected', 'rolled-back', 'blocked', 'watch', 'dry-run', 'failed', 'no-action'],
  range: ['#2e7d32', '#ef6c00', '#c62828', '#6a1b9a', '#f9a825', '#1565c0', '#b71c1c', '#9e9e9e'],
};

const WIDTH = 760;

/** KPI timeline: value with its interval, the baseline and its band, floor/ceiling/drop limits, decisions marked. */
export function kpiChart(metric: string, index: number, rule: ModelReportData['kpis'][number]): Chart {
  const points = `kpi_${index}`;
  const decisions = `decisions_${index}`;
  const x = { field: 'start', type: 'temporal' as const, title: null };
  const layer: Record<string, unknown>[] = [
    {
      data: { name: points },
      mark: { type: 'area', opacity: 0.18, color: '#1565c0' },
      encoding: { x, y: { field: 'bandLower', type: 'quantitative' }, y2: { field: 'bandUpper' } },
    },
    {
      data: { name: points },
      mark: { type: 'line', strokeDash: [6, 3], color: '#1565c0' },
      encoding: { x, y: { field: 'baseline', type: 'quantitative' } },
    },
    {
      data: { name: points },
      mark: { type: 'line', strokeDash: [2, 2], color: '#c62828' },
      encoding: { x, y: { field: 'dropLimit', type: 'quantitative' } },
    },
    {
      data: { name: points },
      mark: { type: 'rule', color: '#555' },
      encoding: { x, y: { field: 'lower', type: 'quantitative' }, y2: { field: 'upper' } },
    },
    {
      data: { name: points },
      mark: { type: 'line', point: true, color: '#111' },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
        tooltip: [
          { field: 'start', type: 'temporal', title: 'window' },
          { field: 'value', type: 'quantitative', format: '.4f' },
          { field: 'count', type: 'quantitative' },
          { field: 'lower', type: 'quantitative', format: '.4f' },
          { field: 'upper', type: 'quantitative', format: '.4f' },
          { field: 'baseline', type: 'quantitative', format: '.4f' },
        ],
      },
    },
    {
      data: { name: decisions },
      transform: [{ filter: "datum.outcome !== 'no-action'" }],
      mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 },
      encoding: {
        x: { field: 'windowStart', type: 'temporal' },
        color: { field: 'outcome', type: 'nominal', scale: OUTCOME_COLORS, title: 'decision' },
        tooltip: [
          { field: 'asOf', type: 'temporal', title: 'as of' },
          { field: 'outcome', type: 'nominal' },
          { field: 'summary', type: 'nominal' },
        ],
      },
    },
    {
      data: { name: decisions },
      transform: [{ filter: 'datum.breached.length > 0' }],
      mark: { type: 'point', shape: 'triangle-down', filled: true, color: '#c62828', size: 70, yOffset: -4 },
      encoding: {
        x: { field: 'windowStart', type: 'temporal' },
        y: { value: 0 },
        tooltip: [{ field: 'breachedText', type: 'nominal', title: 'breached' }],
      },
    },
  ];
  for (const [bound, value] of [
    ['floor', rule.floor],
    ['ceiling', rule.ceiling],
  ] as const) {
    if (value === null) continue;
    layer.push({
      mark: { type: 'rule', color: '#c62828', strokeWidth: 1.5 },
      encoding: { y: { datum: value, type: 'quantitative' }, tooltip: { value: `${bound} ${value}` } },
    });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: 220,
    layer,
  };
  return { id: `chart-kpi-${index}`, title: `${metric} by window`, spec: spec as unknown as TopLevelSpec };
}

/** Drift per feature over time: one cell per window and feature, coloured by score, drifted ones outlined. */
export function driftChart(): Chart {
  return {
    id: 'chart-drift',
    title: 'Drift per feature',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH,
      data: { name: 'drift' },
      mark: { type: 'rect', strokeWidth: 2 },
      encoding: {
        x: { field: 'start', type: 'ordinal', timeUnit: 'utcyearmonthdate', title: null },
        y: { field: 'feature', type: 'nominal', title: null },
        color: { field: 'score', type: 'quantitative', scale: { scheme: 'orangered' } },
        stroke: {
          condition: { test: 'datum.drifted === true', value: '#111' },
          value: null,
        },
        tooltip: [
          { field: 'feature', type: 'nominal' },
          { field: 'start', type: 'temporal', title: 'window' },
          { field: 'method', type: 'nominal' },
          { field: 'score', type: 'quantitative', format: '.4f' },
          { field: 'threshold', type: 'quantitative' },
          { field: 'drifted', type: 'nominal' },
        ],
      },
    } as TopLevelSpec,
  };
}

/** Reference against current distribution of the most drifted features (shares per bin). */
export function distributionChart(): Chart {
  return {
    id: 'chart-distributions',
    title: 'Reference vs current',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { name: 'distributions' },
      facet: { column: { field: 'feature', type: 'nominal', title: null } },
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 220,
        height: 160,
        mark: { type: 'bar', opacity: 0.6 },
        encoding: {
          x: {
            field: 'bin',
            type: 'ordinal',
            sort: { field: 'order' },
            title: null,
            axis: { labelAngle: -45 },
          },
          y: { field: 'share', type: 'quantitative', stack: null, axis: { format: '%' } },
          color: {
            field: 'side',
            type: 'nominal',
            scale: { domain: ['reference', 'current'], range: ['#1565c0', '#ef6c00'] },
          },
          tooltip: [
            { field: 'side', type: 'nominal' },
            { field: 'bin', type: 'nominal' },
            { field: 'share', type: 'quantitative', format: '.1%' },
          ],
        },
      },
    } as TopLevelSpec,
  };
}

/** Which version served when; promotions, rollbacks and rejections as marks with their scores. */
export function versionsChart(): Chart {
  return {
    id: 'chart-versions',
    title: 'Versions',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH,
      data: { name: 'versions' },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'served'" }],
          mark: { type: 'bar', height: 14, color: '#2e7d32', opacity: 0.75 },
          encoding: {
            x: { field: 'start', type: 'temporal', title: null },
            x2: { field: 'end' },
            y: { field: 'label', type: 'nominal', title: null, sort: { field: 'version' } },
            tooltip: [
              { field: 'label', type: 'nominal' },
              { field: 'start', type: 'temporal' },
              { field: 'end', type: 'temporal' },
              { field: 'detail', type: 'nominal' },
            ],
          },
        },
        {
          transform: [{ filter: "datum.kind !== 'served'" }],
          mark: { type: 'point', filled: true, size: 90 },
          encoding: {
            x: { field: 'start', type: 'temporal' },
            y: { field: 'label', type: 'nominal', sort: { field: 'version' } },
            color: { field: 'kind', type: 'nominal', scale: OUTCOME_COLORS, title: 'event' },
            shape: { field: 'kind', type: 'nominal' },
            tooltip: [
              { field: 'label', type: 'nominal' },
              { field: 'kind', type: 'nominal' },
              { field: 'detail', type: 'nominal' },
            ],
          },
        },
      ],
    } as TopLevelSpec,
  };
}

/** Each deploy's uplift with its interval (one panel per KPI). */
export function roiChart(): Chart {
  return {
    id: 'chart-roi',
    title: 'Uplift per deploy',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: { name: 'roi' },
      facet: { row: { field: 'metric', type: 'nominal', title: null } },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: WIDTH - 60,
        height: 140,
        layer: [
          { mark: { type: 'rule', color: '#999' }, encoding: { y: { datum: 0, type: 'quantitative' } } },
          {
            mark: { type: 'rule', strokeWidth: 2, color: '#555' },
            encoding: {
              x: { field: 'label', type: 'ordinal', title: null, sort: { field: 'since' } },
              y: { field: 'lower', type: 'quantitative', title: 'uplift' },
              y2: { field: 'upper' },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 80 },
            encoding: {
              x: { field: 'label', type: 'ordinal', sort: { field: 'since' } },
              y: { field: 'uplift', type: 'quantitative' },
              color: {
                condition: { test: 'datum.lower > 0', value: '#2e7d32' },
                value: '#555',
              },
              tooltip: [
                { field: 'label', type: 'nominal', title: 'deploy' },
                { field: 'uplift', type: 'quantitative', format: '.4f' },
                { field: 'lower', type: 'quantitative', format: '.4f' },
                { field: 'upper', type: 'quantitative', format: '.4f' },
                { field: 'counts', type: 'nominal' },
                { field: 'money', type: 'nominal' },
              ],
            },
          },
        ],
      },
    } as TopLevelSpec,
  };
}

/** Models per state across the fleet. */
export function fleetChart(): Chart {
  return {
    id: 'chart-fleet',
    title: 'Models by state',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width: WIDTH - 200,
      data: { name: 'fleet' },
      mark: { type: 'bar' },
      encoding: {
        y: { field: 'label', type: 'nominal', title: null, sort: { field: 'order' } },
        x: { field: 'models', type: 'quantitative', title: 'models', axis: { tickMinStep: 1 } },
        color: {
          field: 'healthy',
          type: 'nominal',
          scale: { domain: [true, false], range: ['#2e7d32', '#c62828'] },
          legend: null,
        },
        tooltip: [
          { field: 'label', type: 'nominal', title: 'state' },
          { field: 'models', type: 'quantitative' },
        ],
      },
    } as TopLevelSpec,
  };
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/**
 * JSON for a `<script type="application/json">`: `<` as `\u003c` so no `</script>` or `<!--` in the data can end
 * or change the element; U+2028/2029 escaped as well (valid JSON either way).
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

let vegaSource: string | undefined;
/** Vega's minified browser build (UMD, `window.vega`), read from the installed package once. */
function vegaBuild(): string {
  if (vegaSource === undefined) {
    // The package's exports hide its browser build: find the package folder from its entry point.
    const entry = createRequire(import.meta.url).resolve('vega');
    const root = entry.slice(0, entry.lastIndexOf(`${sep}node_modules${sep}vega${sep}`));
    const path = join(root, 'node_modules', 'vega', 'build', 'vega.min.js');
    // A `</script>` inside the library would end the element early: none is expected, but make sure.
    vegaSource = readFileSync(path, 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return vegaSource;
}

/** Each chart compiled to Vega (once, here, so the file carries Vega alone, not the Vega-Lite compiler). */
export function compileCharts(charts: readonly Chart[]): { id: string; title: string; spec: unknown }[] {
  return charts.map((chart) => ({ id: chart.id, title: chart.title, spec: compile(chart.spec).spec }));
}

/** Draws every chart; sets `data-charts` on <body> to `drawn <n>` or `error <message>` (what the tests read). */
const RUNTIME = `
(async () => {
  const payload = JSON.parse(document.getElementById('kaizen-data').textContent);
  let drawn = 0;
  try {
    for (const chart of payload.charts) {
      for (const source of chart.spec.data || []) {
        if (Object.prototype.hasOwnProperty.call(payload.data, source.name)) source.values = payload.data[source.name];
      }
      const view = new vega.View(vega.parse(chart.spec), { renderer: 'svg', container: '#' + chart.id, hover: true });
      await view.runAsync();
      drawn += 1;
    }
    document.body.dataset.charts = 'drawn ' + drawn;
  } catch (error) {
    document.body.dataset.charts = 'error ' + error.message;
    console.error(error);
  }
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 980px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.muted { color: #666; } .state { display: inline-block; padding: 2px 8px; border-radius: 10px; color: #fff; font-weight: 600; }
.ok { background: #2e7d32; } .bad { background: #c62828; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; } td, th { border-bottom: 1px solid #eee; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #fafafa; } code { background: #f3f3f3; padding: 1px 4px; border-radius: 3px; }
.chart { margin: 8px 0 16px; min-height: 40px; }
`;

function page(title: string, body: string, charts: readonly Chart[], data: Record<string, unknown>): string {
  const payload = { charts: compileCharts(charts), data };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
<script type="application/json" id="kaizen-data">${scriptJson(payload)}</script>
<script>${vegaBuild()}</script>
<script>${RUNTIME}</script>
</body>
</html>
`;
}

const code = (text: string) =>
  escapeHtml(text).replace(/`([^`]+)`/g, (_m, inner: string) => `<code>${inner}</code>`);

function stateBadge(status: Pick<ModelStatus, 'state' | 'needsAttention'>): string {
  return `<span class="state ${status.needsAttention ? 'bad' : 'ok'}">${escapeHtml(stateLabel(status.state))}</span>`;
}

function table(headers: string[], rows: string[][]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const num = (value: number | null | undefined, digits = 4) =>
  value === null || value === undefined || !Number.isFinite(value)
    ? '-'
    : String(Number(value.toPrecision(digits)));

const chartDiv = (chart: Chart) =>
  `<h3>${escapeHtml(chart.title)}</h3><div class="chart" id="${escapeHtml(chart.id)}"></div>`;

/** The report of one model: an HTML document (self-contained). */
export function modelReportHtml(data: ModelReportData): string {
  const charts: Chart[] = [];
  const payload: Record<string, unknown> = {};
  const sections: string[] = [];
  const { status } = data;
  sections.push(
    `<h1>Kaizen Loop report: ${escapeHtml(data.modelId)}</h1>`,
    `<p class="muted">${escapeHtml(data.description ?? '')}</p>`,
    `<p>${stateBadge(status)} ${escapeHtml(status.why)}<br>Next: ${code(status.next)}</p>`,
    `<p class="muted">Windows from ${escapeHtml(data.period.start)} to ${escapeHtml(data.period.end)}; champion ${
      status.champion ? `v${status.champion.version} since ${escapeHtml(status.champion.since)}` : 'none'
    }; generated ${escapeHtml(data.generatedAt)}.</p>`,
  );

  sections.push('<h2>KPIs</h2>');
  const decisions = data.decisions.map((d) => ({ ...d, breachedText: d.breached.join('; ') }));
  data.kpis.forEach((rule, index) => {
    const chart = kpiChart(rule.metric, index, rule);
    charts.push(chart);
    payload[`kpi_${index}`] = data.points.filter((p) => p.metric === rule.metric);
    payload[`decisions_${index}`] = decisions;
    sections.push(
      chartDiv(chart),
      `<p class="muted">Black: the window's value with its ${Math.round(rule.confidence * 100)}% interval; blue dashed: the baseline the loop held it to, with its band; red: ${
        [
          rule.floor !== null ? `floor ${rule.floor}` : '',
          rule.ceiling !== null ? `ceiling ${rule.ceiling}` : '',
          rule.maxRelativeDrop !== null ? `the ${rule.maxRelativeDrop * 100}% drop limit (dotted)` : '',
        ]
          .filter(Boolean)
          .join(', ') || 'no bound'
      }; vertical lines: decisions; red triangles: windows where a rule breached.</p>`,
    );
  });
  if (data.kpis.length === 0) sections.push('<p class="muted">The policy has no KPI.</p>');

  sections.push('<h2>Drift</h2>');
  if (data.drift.length > 0) {
    const chart = driftChart();
    charts.push(chart);
    payload.drift = data.drift;
    sections.push(
      chartDiv(chart),
      '<p class="muted">Outlined: the feature drifted by its method and threshold.</p>',
    );
  } else sections.push('<p class="muted">No drift scores in this period.</p>');
  if (data.distributions.length > 0) {
    const chart = distributionChart();
    charts.push(chart);
    payload.distributions = data.distributions.flatMap((d) => d.bins);
    sections.push(
      chartDiv(chart),
      `<p class="muted">${data.distributions
        .map(
          (d) =>
            `${escapeHtml(d.feature)}: ${escapeHtml(d.method)} ${num(d.score)} in the window of ${escapeHtml(d.window)} (${d.currentRows} rows against ${d.referenceRows} of the reference)`,
        )
        .join('; ')}.</p>`,
    );
  }
  if (data.distributionNote) sections.push(`<p class="muted">${escapeHtml(data.distributionNote)}</p>`);

  sections.push('<h2>Versions</h2>');
  if (data.versions.length > 0) {
    const chart = versionsChart();
    charts.push(chart);
    payload.versions = data.versions;
    sections.push(chartDiv(chart));
  } else sections.push('<p class="muted">No version yet.</p>');

  sections.push('<h2>Return on each retrain</h2>');
  const roiRows = data.roi.deploys.flatMap((deploy) =>
    deploy.kpis.map((kpi) => ({
      label: `v${deploy.version}`,
      since: deploy.since,
      metric: kpi.metric,
      uplift: kpi.uplift,
      lower: kpi.lower,
      upper: kpi.upper,
      counts: `${kpi.before.count} -> ${kpi.after.count}`,
      money: kpi.money ? `${kpi.money.value.toFixed(2)} ${kpi.money.currency}` : '',
      missing: kpi.missing ?? null,
    })),
  );
  if (roiRows.some((row) => row.missing === null)) {
    const chart = roiChart();
    charts.push(chart);
    payload.roi = roiRows.filter((row) => row.missing === null);
    sections.push(chartDiv(chart));
  }
  sections.push(
    table(
      ['deploy', 'KPI', 'before → after', 'uplift [interval]', 'counts', 'method', 'worth'],
      data.roi.deploys.flatMap((deploy) =>
        deploy.kpis.map((kpi) => [
          `v${deploy.version} (${escapeHtml(deploy.after.start.slice(0, 10))} to ${escapeHtml(deploy.after.end.slice(0, 10))})`,
          escapeHtml(kpi.metric),
          kpi.missing ? '-' : `${num(kpi.before.value)} → ${num(kpi.after.value)}`,
          kpi.missing ? escapeHtml(kpi.missing) : `${num(kpi.uplift)} [${num(kpi.lower)}, ${num(kpi.upper)}]`,
          `${kpi.before.count} → ${kpi.after.count}`,
          `${Math.round(kpi.confidence * 100)}% ${escapeHtml(kpi.method)}`,
          kpi.money
            ? `${escapeHtml(kpi.money.value.toFixed(2))} ${escapeHtml(kpi.money.currency)} [${kpi.money.lower.toFixed(2)}, ${kpi.money.upper.toFixed(2)}]`
            : '-',
        ]),
      ),
    ),
    `<p>Loop cost: <b>$${data.roi.cost.total.toFixed(4)} a month</b> (${num(data.roi.cost.checksPerMonth)} checks, ${num(
      data.roi.cost.runsPerMonth,
    )} runs; ${escapeHtml(data.roi.cost.basis)}).</p>`,
  );

  sections.push('<h2>Decision log</h2>');
  sections.push(
    table(
      ['as of', 'outcome', 'champion', 'summary'],
      [...data.decisions]
        .reverse()
        .map((d) => [
          escapeHtml(d.asOf.replace('T', ' ').slice(0, 16)),
          escapeHtml(d.outcome),
          `${d.championBefore === null ? '-' : `v${d.championBefore}`} → ${d.championAfter === null ? '-' : `v${d.championAfter}`}`,
          escapeHtml(d.summary) +
            (d.breached.length > 0
              ? `<br><span class="muted">! ${d.breached.map(escapeHtml).join('<br>! ')}</span>`
              : ''),
        ]),
    ),
  );

  sections.push('<h2>Data quality</h2>');
  const failed = data.quality.filter((q) => !q.passed);
  sections.push(
    `<p>${data.quality.length} windows checked, ${failed.length} failed.</p>`,
    failed.length > 0
      ? table(
          ['window', 'rows', 'findings'],
          failed.map((q) => [
            escapeHtml(q.start.slice(0, 10)),
            String(q.rows),
            q.failures.map(escapeHtml).join('<br>'),
          ]),
        )
      : '',
  );
  return page(`Kaizen Loop: ${data.modelId}`, sections.join('\n'), charts, payload);
}

/** The fleet report: every model's state, worst first, and a chart of models per state. */
export function fleetReportHtml(data: FleetReportData): string {
  const chart = fleetChart();
  const body = [
    '<h1>Kaizen Loop: the fleet</h1>',
    `<p class="muted">${data.models.length} models; ${data.models.filter((m) => m.needsAttention).length} need attention; generated ${escapeHtml(data.generatedAt)}.</p>`,
    chartDiv(chart),
    table(
      ['model', 'state', 'champion', 'last check', 'why', 'next'],
      data.models.map((m) => [
        escapeHtml(m.modelId),
        stateBadge(m),
        m.champion ? `v${m.champion.version}` : '-',
        escapeHtml(m.lastCheck ? `${m.lastCheck.checkedAt.slice(0, 16)} ${m.lastCheck.action}` : '-'),
        escapeHtml(m.why),
        code(m.next),
      ]),
    ),
  ].join('\n');
  const fleet = data.counts.map((c, order) => ({
    label: stateLabel(c.state),
    models: c.models,
    healthy: c.state === 'healthy',
    order,
  }));
  return page('Kaizen Loop: the fleet', body, [chart], { fleet });
}
