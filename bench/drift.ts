/**
 * Drift engine benchmark: one numeric feature, 1,000,000 reference vs 1,000,000 current float64 values
 * (seeded), PSI + KS (with p-value) + Wasserstein + Jensen-Shannon computed together, against numpy/scipy
 * on the same data (written to a temp file and run through `python3`). Only the four scipy/numpy calls
 * are timed on the Python side: ks_2samp, wasserstein_distance, PSI in numpy (quantile edges, two
 * histograms, the sum) and jensenshannon on the histograms PSI built. Ours includes every step: dropping
 * non-finite values, sorting both samples once, the reference bins, all four scores.
 *
 * Run: `npx tsx bench/drift.ts` (needs python3 with numpy and scipy for the comparison columns).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  binCountsSorted,
  jensenShannon,
  ksTestSorted,
  prepareNumericReference,
  psi,
  sortSample,
  wassersteinSorted,
} from '#domain/drift/index.ts';

const ROWS = 1_000_000;
const SEED = 20_260_101;
const REPEATS = 5;
const GOAL = 0.25;

/** sfc32: small, fast, seedable; two outputs make one 53-bit uniform double in [0, 1). */
function uniforms(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next();
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
}

/** n normal variates (Marsaglia polar method). */
function normals(n: number, seed: number, mean: number, sd: number): Float64Array {
  const uniform = uniforms(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    out[i] = mean + sd * u * f;
    if (i + 1 < n) out[i + 1] = mean + sd * v * f;
  }
  return out;
}

interface Timings {
  prepare: number;
  ks: number;
  wasserstein: number;
  psi: number;
  jensenshannon: number;
  total: number;
}

interface Values {
  ksStatistic: number;
  ksPValue: number;
  wasserstein: number;
  psi: number;
  jensenShannon: number;
}

function runOurs(reference: Float64Array, current: Float64Array): { timings: Timings; values: Values } {
  const t0 = performance.now();
  const ref = prepareNumericReference(reference);
  const cur = sortSample(current).sorted;
  const t1 = performance.now();
  const ks = ksTestSorted(ref.sorted, cur);
  const t2 = performance.now();
  const wasserstein = wassersteinSorted(ref.sorted, cur);
  const t3 = performance.now();
  const curCounts = binCountsSorted(ref.bins, cur);
  const psiValue = psi(ref.bins.referenceCounts, curCounts);
  const t4 = performance.now();
  const js = jensenShannon(ref.bins.referenceCounts, curCounts);
  const t5 = performance.now();
  return {
    timings: {
      prepare: t1 - t0,
      ks: t2 - t1,
      wasserstein: t3 - t2,
      psi: t4 - t3,
      jensenshannon: t5 - t4,
      total: t5 - t0,
    },
    values: { ksStatistic: ks.statistic, ksPValue: ks.pValue, wasserstein, psi: psiValue, jensenShannon: js },
  };
}

const PYTHON = `
import json, sys, time
import numpy as np
from scipy import stats
from scipy.spatial import distance

path, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = np.fromfile(path, dtype='<f8')
ref, cur = data[:n], data[n:]

def best(fn):
    out, best_ms = None, float('inf')
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best_ms = min(best_ms, (time.perf_counter() - t) * 1000)
    return out, best_ms

def psi_numpy():
    edges = np.unique(np.concatenate(([ref.min()], np.quantile(ref, np.arange(1, 10) / 10), [ref.max()])))
    def counts(x):
        k = len(edges) - 1
        idx = np.clip(np.searchsorted(edges, x, side='right') - 1, -1, k)
        idx[(x == edges[-1])] = k - 1
        return np.bincount(idx + 1, minlength=k + 2).astype(float)
    r, c = counts(ref), counts(cur)
    eps = 1e-4
    norm = 1 + len(r) * eps
    rp = (r / r.sum() + eps) / norm
    cp = (c / c.sum() + eps) / norm
    return float(np.sum((cp - rp) * np.log(cp / rp))), r, c

ks, ks_ms = best(lambda: stats.ks_2samp(ref, cur))
w, w_ms = best(lambda: stats.wasserstein_distance(ref, cur))
(psi, r, c), psi_ms = best(psi_numpy)
js, js_ms = best(lambda: distance.jensenshannon(r, c, base=2))
import scipy
print(json.dumps({
    'versions': {'numpy': np.__version__, 'scipy': scipy.__version__},
    'timings': {'ks': ks_ms, 'wasserstein': w_ms, 'psi': psi_ms, 'jensenshannon': js_ms},
    'values': {'ksStatistic': float(ks.statistic), 'ksPValue': float(ks.pvalue), 'wasserstein': float(w),
               'psi': psi, 'jensenShannon': float(js)},
}))
`;

interface ScipyRun {
  python: string;
  versions: { numpy: string; scipy: string };
  timings: Omit<Timings, 'prepare' | 'total'>;
  values: Values;
}

/** The first interpreter that imports numpy and scipy: `python3` on PATH, then Debian's. */
function findPython(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

function runScipy(reference: Float64Array, current: Float64Array): ScipyRun | string {
  const python = findPython();
  if (python === undefined) return 'no python3 with numpy and scipy found (apt-get install python3-scipy)';
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-drift-bench-'));
  try {
    const file = join(dir, 'samples.f64');
    const both = new Float64Array(reference.length + current.length);
    both.set(reference);
    both.set(current, reference.length);
    writeFileSync(file, new Uint8Array(both.buffer));
    const run = spawnSync(python, ['-c', PYTHON, file, String(reference.length), String(REPEATS)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    });
    if (run.status !== 0) return `python3 failed: ${run.stderr.trim()}`;
    return { python, ...(JSON.parse(run.stdout) as Omit<ScipyRun, 'python'>) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (ms: number): string => ms.toFixed(1);

function relativeDifference(a: number, b: number): string {
  if (a === b) return '0';
  return (Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE)).toExponential(1);
}

/** Runs the benchmark and prints a table of ours vs numpy/scipy per method and in total. */
export async function runDriftBench(): Promise<void> {
  const reference = normals(ROWS, SEED, 0, 1);
  const current = normals(ROWS, SEED + 1, 0.03, 1.02);
  // Warm-up on a slice so the timed runs measure optimised code.
  runOurs(reference.subarray(0, 50_000), current.subarray(0, 50_000));
  let best: ReturnType<typeof runOurs> | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const run = runOurs(reference, current);
    if (best === undefined || run.timings.total < best.timings.total) best = run;
  }
  const ours = best as ReturnType<typeof runOurs>;
  const scipy = runScipy(reference, current);

  console.log(
    `drift bench: ${ROWS.toLocaleString('en')} reference vs ${ROWS.toLocaleString('en')} current float64 values, best of ${REPEATS}`,
  );
  const rows: [string, number, number | undefined][] = [
    ['clean + sort both + reference bins (shared)', ours.timings.prepare, undefined],
    ['ks (statistic + p-value)', ours.timings.ks, typeof scipy === 'string' ? undefined : scipy.timings.ks],
    [
      'wasserstein',
      ours.timings.wasserstein,
      typeof scipy === 'string' ? undefined : scipy.timings.wasserstein,
    ],
    [
      'psi (edges + histograms + sum)',
      ours.timings.psi,
      typeof scipy === 'string' ? undefined : scipy.timings.psi,
    ],
    [
      'jensenshannon (on histograms)',
      ours.timings.jensenshannon,
      typeof scipy === 'string' ? undefined : scipy.timings.jensenshannon,
    ],
  ];
  const scipyTotal =
    typeof scipy === 'string'
      ? undefined
      : scipy.timings.ks + scipy.timings.wasserstein + scipy.timings.psi + scipy.timings.jensenshannon;
  rows.push(['total', ours.timings.total, scipyTotal]);
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(
    `${'method'.padEnd(width)}  ${'ours ms'.padStart(9)}  ${'scipy ms'.padStart(9)}  ${'ratio'.padStart(7)}`,
  );
  for (const [name, mine, theirs] of rows) {
    const ratio = theirs === undefined || name.includes('shared') ? '' : (mine / theirs).toFixed(3);
    const scipyMs = theirs === undefined ? (name.includes('shared') ? '(in each)' : '-') : fmt(theirs);
    console.log(
      `${name.padEnd(width)}  ${fmt(mine).padStart(9)}  ${scipyMs.padStart(9)}  ${ratio.padStart(7)}`,
    );
  }
  if (typeof scipy === 'string') {
    console.log(`scipy comparison skipped: ${scipy}`);
    return;
  }
  const total = ours.timings.total / (scipyTotal as number);
  console.log(
    `total ratio ours/scipy: ${total.toFixed(3)} (goal <= ${GOAL}: ${total <= GOAL ? 'met' : 'NOT met'}); ` +
      `${scipy.python}, numpy ${scipy.versions.numpy}, scipy ${scipy.versions.scipy}`,
  );
  const agreement = (Object.keys(ours.values) as (keyof Values)[])
    .map(
      (key) =>
        `${key} ${ours.values[key].toPrecision(6)} (rel. diff ${relativeDifference(ours.values[key], scipy.values[key])})`,
    )
    .join(', ');
  console.log(`values vs scipy: ${agreement}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runDriftBench();
}
