/**
 * Dataset monitoring benchmark: a reference and a current window of 1,000,000 rows x 50 numeric features,
 * each a Parquet file (DOUBLE columns, 10 row groups, written by hyparquet-writer) in the local S3
 * (s3rver). A child process, as a Lambda would, reads both with ranged GETs of the 50 columns, computes
 * drift of every feature and the data-quality checks, and reports its timings and peak resident memory
 * (`process.resourceUsage().maxRSS`), compared with a 3 GB Lambda. The child keeps S3 out of its memory:
 * s3rver runs in this process.
 *
 * Run: `npx tsx bench/dataset.ts` (about a minute; needs ~2 GB of free disk in the temp folder).
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { fileWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { computeMonitoring } from '#domain/monitoring.ts';
import { MonitoringSchema } from '#domain/policy.ts';
import { checkQuality } from '#domain/quality.ts';
import { mulberry32 as random } from '#domain/random.ts';
import { type LocalStack, localContext, startLocalStack } from '#local/stack.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { type ReadStats, readDatasetFromS3 } from '#stores/datasets.ts';

const ROWS = 1_000_000;
const FEATURES = 50;
const ROW_GROUP = 100_000;
const SEED = 20_260_301;
/** Features whose current window moves (a mean shift of 0.05 to 0.5 reference standard deviations). */
const SHIFTED = 10;
/** Features with 1% nulls (OPTIONAL columns with definition levels). */
const WITH_NULLS = 2;
const LAMBDA_MB = 3072;
const REFERENCE_KEY = 'bench/reference.parquet';
const CURRENT_KEY = 'bench/current.parquet';

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
async function writeDataset(path: string, current: boolean): Promise<number> {
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
  const next = random(SEED + (current ? 1 : 0));
  for (let start = 0; start < ROWS; start += ROW_GROUP) {
    const columnData = names.map((name, i) => {
      const values = new Float64Array(Math.min(ROW_GROUP, ROWS - start));
      // Spread of each shape, so shifts are in reference standard deviations.
      const spread = [2, 0.6, 29, 3, 2][i % 5] as number;
      fill(values, i, current && i < SHIFTED ? spread * 0.05 * (i + 1) : 0, next);
      // Missing values as real nulls (definition levels), as pyarrow writes them, not as NaN doubles.
      return {
        name,
        data: nullable(i) ? Array.from(values, (v) => (Number.isNaN(v) ? null : v)) : values,
      };
    });
    await writer.write({ columnData, rowGroupSize: ROW_GROUP });
  }
  await writer.finish();
  return statSync(path).size;
}

async function upload(ctx: KaizenContext, path: string, key: string, size: number): Promise<void> {
  await ctx.s3.send(
    new PutObjectCommand({
      Bucket: ctx.config.bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: size,
    }),
  );
}

interface Measurement {
  baselineMb: number;
  peakMb: number;
  readReferenceMs: number;
  readCurrentMs: number;
  computeMs: number;
  qualityMs: number;
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
async function measure(endpoints: LocalStack['endpoints']): Promise<void> {
  const ctx = localContext(endpoints, NO_LOOPS, mkdtempSync(join(tmpdir(), 'kaizen-bench-')));
  const baselineMb = process.memoryUsage().rss / 2 ** 20;
  const features = names.map((name) => ({ name, type: 'numeric' as const }));
  const policy = MonitoringSchema.parse({ reference: REFERENCE_KEY, current: CURRENT_KEY, features });
  const stats: ReadStats = { requests: 0, bytes: 0 };
  const t0 = performance.now();
  const reference = await readDatasetFromS3(ctx, REFERENCE_KEY, features, { stats });
  const t1 = performance.now();
  const current = await readDatasetFromS3(ctx, CURRENT_KEY, features, { stats });
  const t2 = performance.now();
  const result = computeMonitoring(policy, reference, current);
  const t3 = performance.now();
  // Timed again on its own to split the total (computeMonitoring runs it too).
  checkQuality(policy, reference, current);
  const t4 = performance.now();
  const measurement: Measurement = {
    baselineMb,
    peakMb: process.resourceUsage().maxRSS / 1024,
    readReferenceMs: t1 - t0,
    readCurrentMs: t2 - t1,
    computeMs: t3 - t2,
    qualityMs: t4 - t3,
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

function runChild(endpoints: LocalStack['endpoints']): Promise<Measurement> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), self, '--measure', JSON.stringify(endpoints)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`measuring process exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Measurement);
    });
  });
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Writes both datasets to a temporary local S3, measures reading + drift + quality in a child process, prints it. */
export async function runDatasetBench(): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'kaizen-dataset-bench-'));
  const stack = await startLocalStack({ home });
  const ctx = stack.context(NO_LOOPS);
  try {
    const started = performance.now();
    const sizes: number[] = [];
    for (const [key, current] of [
      [REFERENCE_KEY, false],
      [CURRENT_KEY, true],
    ] as const) {
      const path = join(home, current ? 'current.parquet' : 'reference.parquet');
      const size = await writeDataset(path, current);
      await upload(ctx, path, key, size);
      await rm(path);
      sizes.push(size);
    }
    const prepared = performance.now();
    const m = await runChild(stack.endpoints);
    const readMs = m.readReferenceMs + m.readCurrentMs;
    console.log(
      `dataset bench: reference and current window of ${ROWS.toLocaleString('en')} rows x ${FEATURES} numeric features,`,
    );
    console.log(
      `  Parquet (DOUBLE, uncompressed, ${ROWS / ROW_GROUP} row groups, ${WITH_NULLS} columns with 1% nulls), ` +
        `${sizes.map(mb).join(' + ')} in local S3 (written and uploaded in ${seconds(prepared - started)})`,
    );
    const row = (label: string, ms: number, note = '') =>
      console.log(`  ${label.padEnd(34)}${seconds(ms).padStart(8)}${note}`);
    row('read reference', m.readReferenceMs);
    row('read current', m.readCurrentMs);
    row(
      `drift (${FEATURES} features) + quality`,
      m.computeMs,
      `   (quality alone ${seconds(m.qualityMs)}; methods: ${m.methods.join(', ')})`,
    );
    row('total', readMs + m.computeMs);
    console.log(
      `  S3: ${m.requests} ranged GETs, ${mb(m.bytesRead)} read (${(m.bytesRead / 2 ** 20 / (readMs / 1000)).toFixed(0)} MB/s from s3rver)`,
    );
    console.log(
      `  result: ${m.drifted} of ${m.judged} features drifted (${SHIFTED} shifted on purpose), dataset drift ${m.datasetDrift}, ` +
        `quality ${m.qualityPassed ? 'passed' : `failed (${m.failedChecks.join(', ')})`}`,
    );
    const fits = m.peakMb < LAMBDA_MB;
    console.log(
      `  peak memory (max RSS)             ${m.peakMb.toFixed(0)} MB (process baseline ${m.baselineMb.toFixed(0)} MB): ` +
        `${fits ? 'fits' : 'does NOT fit'} a ${LAMBDA_MB} MB Lambda (${((m.peakMb / LAMBDA_MB) * 100).toFixed(0)}%)`,
    );
  } finally {
    ctx.close();
    await stack.stop();
    await rm(home, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--measure');
  if (at >= 0) await measure(JSON.parse(process.argv[at + 1] ?? '{}'));
  else await runDatasetBench();
}
