/**
 * Dataset monitoring benchmark: a reference and a current window of 1,000,000 rows x 50 numeric features in
 * the local S3 (s3rver), once as Parquet (DOUBLE columns, 10 row groups, written by hyparquet-writer) and once
 * as CSV (six decimals). A child process per format, as Monitor does, opens both datasets and judges drift and
 * quality one feature at a time (Parquet columns by ranged GETs, CSV streamed once with its columns spilled to
 * disk beyond a budget), and reports its timings and peak resident memory (`process.resourceUsage().maxRSS`)
 * against the 600 MB goal. The child keeps S3 out of its memory: s3rver runs in this process.
 *
 * Run: `npx tsx bench/dataset.ts` (a few minutes; needs ~4 GB of free disk in the temp folder;
 * `KAIZEN_BENCH_FORMATS=parquet` for Parquet and the worst sweep page only).
 */
import { once } from 'node:events';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { fileWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { FUNCTIONS } from '#contracts/steps.ts';
import { computeMonitoringByFeature } from '#domain/monitoring.ts';
import { MonitoringSchema, parsePolicy } from '#domain/policy.ts';
import { mulberry32 as random } from '#domain/random.ts';
import { type LocalStack, localContext, startLocalStack } from '#local/stack.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { openDatasetFromS3, type ReadStats } from '#stores/datasets.ts';
import { queryObservations } from '#stores/observations.ts';
import { putPolicy } from '#stores/policies.ts';
import { sweepPage } from '../functions/sweep/sweep.ts';
import { runSelf, seedChampion, uploadFile } from './support.ts';

const ROWS = 1_000_000;
const FEATURES = 50;
const ROW_GROUP = 100_000;
const SEED = 20_260_301;
/** Features whose current window moves (a mean shift of 0.05 to 0.5 reference standard deviations). */
const SHIFTED = 10;
/** Features with 1% nulls (OPTIONAL columns with definition levels). */
const WITH_NULLS = 2;
/** Peak resident memory of Monitor on these datasets. */
export const MONITOR_PEAK_GOAL_MB = 600;
type Format = 'parquet' | 'csv';
const key = (format: Format, current: boolean) => `bench/${current ? 'current' : 'reference'}.${format}`;

const names = Array.from({ length: FEATURES }, (_, i) => `f${String(i).padStart(2, '0')}`);

/** Fills `out` from one of five shapes (normal, log-normal, uniform, exponential, bimodal) picked by feature. */
function fill(out: Float64Array, feature: number, shift: number, next: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    // Box-Muller: two normals per pair of uniforms.
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    for (const [k, z] of [
      [i, r * Math.cos(angle)],
      [i + 1, r * Math.sin(angle)],
    ] as const) {
      if (k >= out.length) break;
      let value: number;
      switch (feature % 5) {
        case 0:
          value = 10 + 2 * z;
          break;
        case 1:
          value = Math.exp(0.5 * z);
          break;
        case 2:
          value = next() * 100;
          break;
        case 3:
          value = -Math.log(1 - next()) * 3;
          break;
        default:
          value = (next() < 0.5 ? -2 : 2) + 0.5 * z;
      }
      out[k] = value + shift;
    }
  }
  if (feature >= FEATURES - WITH_NULLS)
    for (let i = 0; i < out.length; i++) if (next() < 0.01) out[i] = Number.NaN;
}

/**
 * Writes one dataset file with hyparquet-writer, one row group per `write` call, through its file writer
 * (flushed every MB): only one group's values are in memory at a time.
 */
async function writeDataset(path: string, current: boolean): Promise<void> {
  const nullable = (feature: number) => feature >= FEATURES - WITH_NULLS;
  const schema: SchemaElement[] = [
    { name: 'root', num_children: FEATURES },
    ...names.map(
      (name, i): SchemaElement => ({
        name,
        type: 'DOUBLE',
        repetition_type: nullable(i) ? 'OPTIONAL' : 'REQUIRED',
      }),
    ),
  ];
  const writer = new ParquetWriter({ writer: fileWriter(path), schema, codec: 'UNCOMPRESSED' });
  for (const group of rowGroups(current)) {
    const columnData = group.map((values, i) => ({
      name: names[i] as string,
      // Missing values as real nulls (definition levels), as pyarrow writes them, not as NaN doubles.
      data: nullable(i) ? Array.from(values, (v) => (Number.isNaN(v) ? null : v)) : values,
    }));
    await writer.write({ columnData, rowGroupSize: ROW_GROUP });
  }
  await writer.finish();
}

/** The dataset's values, one group of rows at a time (a Float64Array per feature). */
function* rowGroups(current: boolean): Generator<Float64Array[]> {
  const next = random(SEED + (current ? 1 : 0));
  for (let start = 0; start < ROWS; start += ROW_GROUP) {
    yield names.map((_, i) => {
      const values = new Float64Array(Math.min(ROW_GROUP, ROWS - start));
      // Spread of each shape, so shifts are in reference standard deviations.
      const spread = [2, 0.6, 29, 3, 2][i % 5] as number;
      fill(values, i, current && i < SHIFTED ? spread * 0.05 * (i + 1) : 0, next);
      return values;
    });
  }
}

/** The same values as CSV with six decimals (missing cells empty), written a row group at a time. */
async function writeCsv(path: string, current: boolean): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${names.join(',')}\n`);
  for (const group of rowGroups(current)) {
    const rows = group[0]?.length ?? 0;
    const lines: string[] = [];
    for (let r = 0; r < rows; r++)
      lines.push(
        group.map((values) => (Number.isNaN(values[r]) ? '' : (values[r] as number).toFixed(6))).join(','),
      );
    if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface Measurement {
  format: Format;
  baselineMb: number;
  peakMb: number;
  openMs: number;
  computeMs: number;
  requests: number;
  bytesRead: number;
  drifted: number;
  judged: number;
  datasetDrift: boolean;
  qualityPassed: boolean;
  failedChecks: string[];
  methods: string[];
}

const NO_LOOPS = { start: () => Promise.reject(new Error('the dataset bench starts no loops')) };

/** The measured part, in a fresh process with its own context on the parent's local S3 (`endpoints` as JSON). */
async function measure(endpoints: LocalStack['endpoints'], format: Format): Promise<void> {
  const ctx = localContext(endpoints, NO_LOOPS, mkdtempSync(join(tmpdir(), 'kaizen-bench-')));
  const baselineMb = process.memoryUsage().rss / 2 ** 20;
  const features = names.map((name) => ({ name, type: 'numeric' as const }));
  const policy = MonitoringSchema.parse({
    reference: key(format, false),
    current: key(format, true),
    features,
  });
  const stats: ReadStats = { requests: 0, bytes: 0 };
  const t0 = performance.now();
  // As Monitor does (functions/monitor/datasets.ts): the window first, then the reference, then feature by feature.
  const current = await openDatasetFromS3(ctx, key(format, true), features, { stats });
  const reference = await openDatasetFromS3(ctx, key(format, false), features, { stats });
  const t1 = performance.now();
  const result = await computeMonitoringByFeature(policy, reference, current);
  const t2 = performance.now();
  await reference.close();
  await current.close();
  const measurement: Measurement = {
    format,
    baselineMb,
    peakMb: process.resourceUsage().maxRSS / 1024,
    openMs: t1 - t0,
    computeMs: t2 - t1,
    requests: stats.requests,
    bytesRead: stats.bytes,
    drifted: result.dataset.drifted,
    judged: result.dataset.total,
    datasetDrift: result.dataset.drift,
    qualityPassed: result.quality.passed,
    failedChecks: result.quality.findings.filter((f) => !f.passed).map((f) => `${f.feature}:${f.check}`),
    methods: [...new Set(result.features.map((f) => f.method))],
  };
  ctx.close();
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

/** A sweep page of 100 models of which {@link PAGE_DATASET_MODELS} judge the 1M x 50 Parquet pair. */
const PAGE_MODELS = 100;
const PAGE_DATASET_MODELS = 4;
const PAGE_AT = '2026-11-20T00:30:00.000Z';
/** The sweep function's memory and timeout (FUNCTIONS.sweep). */
const SWEEP_MB = FUNCTIONS.sweep.memoryMb;
const SWEEP_SECONDS = FUNCTIONS.sweep.timeoutSeconds;

interface PageMeasurement {
  seconds: number;
  peakMb: number;
  computed: number;
  models: number;
}

/** Registers the page's models: the example policy, a few of them monitoring the Parquet pair. */
async function seedPage(ctx: KaizenContext): Promise<void> {
  const { monitoring: _none, ...example } = JSON.parse(
    await readFile(resolve(import.meta.dirname, '../examples/churn-policy.json'), 'utf8'),
  );
  const features = names.map((name) => ({ name, type: 'numeric' as const }));
  for (let i = 0; i < PAGE_MODELS; i++) {
    const modelId = `page-${String(i).padStart(3, '0')}`;
    const monitoring =
      i % (PAGE_MODELS / PAGE_DATASET_MODELS) === 0
        ? { monitoring: { reference: key('parquet', false), current: key('parquet', true), features } }
        : {};
    await putPolicy(ctx, parsePolicy({ ...example, modelId, ...monitoring }));
    await seedChampion(ctx, modelId);
  }
}

/** One sweep page in a fresh process, as the sweep function runs it: wall time, peak memory, windows computed. */
async function measurePage(endpoints: LocalStack['endpoints']): Promise<void> {
  const ctx = localContext(endpoints, NO_LOOPS, mkdtempSync(join(tmpdir(), 'kaizen-bench-')));
  const started = performance.now();
  const state = await sweepPage(ctx, {
    input: { pageSize: PAGE_MODELS, at: PAGE_AT },
    execution: { name: 'bench-page', startTime: PAGE_AT },
  });
  const seconds = (performance.now() - started) / 1000;
  let computed = 0;
  for (let i = 0; i < PAGE_MODELS; i += PAGE_MODELS / PAGE_DATASET_MODELS) {
    const rows = await queryObservations(ctx, `page-${String(i).padStart(3, '0')}`, {
      start: '2026-11-19T00:00:00.000Z',
      end: '2026-11-20T00:00:00.000Z',
    });
    if (rows.some((row) => row.type === 'quality')) computed++;
  }
  const measurement: PageMeasurement = {
    seconds,
    peakMb: process.resourceUsage().maxRSS / 1024,
    computed,
    models: state.totals.models,
  };
  ctx.close();
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

function runChild(endpoints: LocalStack['endpoints'], format: Format | 'page'): Promise<Measurement> {
  return runSelf<Measurement>(
    fileURLToPath(import.meta.url),
    ['--measure', JSON.stringify(endpoints), format],
    {
      stderr: 'inherit',
    },
  );
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Writes both datasets in both formats to a temporary local S3, measures Monitor on each in a child process. */
export async function runDatasetBench(
  formats: readonly Format[] = (process.env.KAIZEN_BENCH_FORMATS?.split(',') ?? [
    'parquet',
    'csv',
  ]) as Format[],
): Promise<Measurement[]> {
  const home = await mkdtemp(join(tmpdir(), 'kaizen-dataset-bench-'));
  const stack = await startLocalStack({ home });
  const ctx = stack.context(NO_LOOPS);
  const results: Measurement[] = [];
  try {
    console.log(
      `dataset bench: Monitor on a reference and a current window of ${ROWS.toLocaleString('en')} rows x ${FEATURES} numeric features ` +
        `(${SHIFTED} shifted, ${WITH_NULLS} with 1% missing), one feature at a time`,
    );
    for (const format of formats) {
      const started = performance.now();
      const sizes: number[] = [];
      for (const current of [false, true]) {
        const path = join(home, `data.${format}`);
        await (format === 'parquet' ? writeDataset(path, current) : writeCsv(path, current));
        sizes.push(await uploadFile(ctx, path, key(format, current)));
        await rm(path);
      }
      const prepared = performance.now();
      const m = await runChild(stack.endpoints, format);
      results.push(m);
      const what =
        format === 'parquet' ? 'Parquet (DOUBLE, uncompressed, 10 row groups)' : 'CSV (six decimals)';
      console.log(
        `  ${what}: ${sizes.map(mb).join(' + ')} in local S3 (written in ${seconds(prepared - started)})`,
      );
      console.log(
        `    open ${seconds(m.openMs)}, drift + quality ${seconds(m.computeMs)} (${m.methods.join(', ')}); ` +
          `S3 ${m.requests} GETs, ${mb(m.bytesRead)}; ${m.drifted} of ${m.judged} features drifted, ` +
          `quality ${m.qualityPassed ? 'passed' : `failed (${m.failedChecks.join(', ')})`}`,
      );
      console.log(
        `    peak memory (max RSS of the child)   ${m.peakMb.toFixed(0)} MB   goal <= ${MONITOR_PEAK_GOAL_MB} MB: ` +
          `${m.peakMb <= MONITOR_PEAK_GOAL_MB ? 'met' : 'NOT met'} (process baseline ${m.baselineMb.toFixed(0)} MB)`,
      );
      if (format === 'parquet') {
        await seedPage(ctx);
        const page = (await runChild(stack.endpoints, 'page')) as unknown as PageMeasurement;
        const fitsMemory = page.peakMb <= SWEEP_MB;
        const fitsTime = page.seconds <= SWEEP_SECONDS;
        console.log(
          `  worst sweep page: ${page.models} models, ${PAGE_DATASET_MODELS} of them judging this pair (${page.computed} computed, ` +
            `${PAGE_DATASET_MODELS - page.computed} left to the next sweep by the page's deadline)`,
        );
        console.log(
          `    time ${seconds(page.seconds * 1000)} (limit ${SWEEP_SECONDS} s: ${fitsTime ? 'met' : 'NOT met'}), ` +
            `peak memory ${page.peakMb.toFixed(0)} MB (limit ${SWEEP_MB} MB: ${fitsMemory ? 'met' : 'NOT met'})`,
        );
      }
      for (const current of [false, true])
        await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.config.bucket, Key: key(format, current) }));
    }
    return results;
  } finally {
    ctx.close();
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--measure');
  if (at >= 0 && process.argv[at + 2] === 'page') await measurePage(JSON.parse(process.argv[at + 1] ?? '{}'));
  else if (at >= 0)
    await measure(JSON.parse(process.argv[at + 1] ?? '{}'), (process.argv[at + 2] ?? 'parquet') as Format);
  else await runDatasetBench();
}
