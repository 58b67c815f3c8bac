/**
 * Built-in trainer benchmark: 100,000 rows x 20 numeric features (seeded; features of different means and
 * scales, labels drawn from a known logistic model), trained by the built-in trainer (Newton/IRLS) and by
 * scikit-learn's `LogisticRegression(solver='lbfgs')` on the same data in the same run.
 *
 * Same objective on both sides: ours minimises mean log-loss + l2/2 |w|^2 on standardised features (bias not
 * penalised); scikit-learn minimises C * sum(log-loss) + 1/2 |w|^2 (lbfgs does not penalise the intercept),
 * which divided by C * n is the same function when C = 1 / (l2 * n). Its features are standardised with
 * `StandardScaler` (population std, as ours) and that is timed with the fit; ours is timed from the numeric
 * table (standardisation included). scikit-learn runs with its defaults otherwise (tol 1e-4, max_iter 100).
 * Log-loss is the training data's mean log-loss of each model. Goal: ours <= 1x scikit-learn's time with
 * |log-loss difference| <= 1e-4.
 *
 * Run: `npm run bench -- trainer` (needs a python3 with scikit-learn for the comparison: Debian's
 * `/usr/bin/python3` after `apt-get install python3-sklearn`; without one the reference side is skipped).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { logLoss } from '#domain/metrics.ts';
import { mulberry32 } from '#domain/random.ts';
import type { NumericTable } from '#domain/table.ts';
import { fitLogisticRegression, predictTable } from '#domain/trainer.ts';

const ROWS = 100_000;
const FEATURES = 20;
const SEED = 20_260_202;
const L2 = 0.001;
const REPEATS = 5;
const ROUNDS = 3;
const TIME_GOAL = 1;
const LOGLOSS_GOAL = 1e-4;

/** Rows of `FEATURES` normal features (mean and scale differ per feature) and a 0/1 label `y`, row-major. */
export function trainerBenchTable(rows = ROWS, features = FEATURES, seed = SEED): NumericTable {
  const random = mulberry32(seed);
  const normal = (): number => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const coefficients = Array.from({ length: features }, (_, j) =>
    j % 3 === 2 ? 0 : (j % 2 ? -1 : 1) / (1 + j / 4),
  );
  const means = Array.from({ length: features }, (_, j) => (j - features / 2) * 3);
  const scales = Array.from({ length: features }, (_, j) => 0.5 + (j % 5));
  const width = features + 1;
  const values = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    let z = -0.4;
    for (let j = 0; j < features; j++) {
      const standard = normal();
      values[i * width + j] = (means[j] as number) + (scales[j] as number) * standard;
      z += (coefficients[j] as number) * standard;
    }
    values[i * width + features] = random() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  const columns = [...Array.from({ length: features }, (_, j) => `x${j}`), 'y'];
  return { columns, rows, values, source: 'bench' };
}

const PYTHON = `
import json, sys, time, warnings
import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import log_loss

path, n, d, l2, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
data = np.fromfile(path, dtype='<f8').reshape(n, d + 1)
X, y = np.ascontiguousarray(data[:, :d]), data[:, d].astype(np.int64)
best, model, scaled = float('inf'), None, None
for _ in range(repeats):
    t = time.perf_counter()
    scaler = StandardScaler()
    Xs = scaler.fit_transform(X)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        m = LogisticRegression(solver='lbfgs', C=1.0 / (l2 * n)).fit(Xs, y)
    elapsed = (time.perf_counter() - t) * 1000
    if elapsed < best:
        best, model, scaled = elapsed, m, Xs
w = model.coef_[0]
loss = log_loss(y, model.predict_proba(scaled)[:, 1])
print(json.dumps({'version': sklearn.__version__, 'ms': best, 'iterations': int(model.n_iter_[0]),
                  'logloss': float(loss), 'objective': float(loss + l2 / 2 * np.dot(w, w))}))
`;

interface SklearnRun {
  python: string;
  version: string;
  ms: number;
  iterations: number;
  logloss: number;
  objective: number;
}

/** The first interpreter that imports scikit-learn: `python3` on PATH (maybe a pyenv shim), then Debian's. */
function findPython(): string | undefined {
  for (const candidate of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(candidate, ['-c', 'import sklearn'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/** Runs scikit-learn on the table written to `file`; a string says why it could not. */
function runSklearn(python: string, file: string, table: NumericTable): SklearnRun | string {
  const args = [file, String(table.rows), String(table.columns.length - 1), String(L2), String(REPEATS)];
  const run = spawnSync(python, ['-c', PYTHON, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (run.status !== 0) return `${python} failed: ${run.stderr.trim()}`;
  return { python, ...(JSON.parse(run.stdout) as Omit<SklearnRun, 'python'>) };
}

/** Trains on `table`, best time of `repeats`; the result and log-loss of the last run. */
function runOurs(table: NumericTable, repeats: number) {
  const features = table.columns.slice(0, -1);
  let best = Number.POSITIVE_INFINITY;
  let result: ReturnType<typeof fitLogisticRegression> | undefined;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    result = fitLogisticRegression(table, features, 'y', { l2: L2 });
    best = Math.min(best, performance.now() - start);
  }
  const fitted = result as ReturnType<typeof fitLogisticRegression>;
  const width = table.columns.length;
  const labels = Float64Array.from(
    { length: table.rows },
    (_, i) => table.values[i * width + width - 1] as number,
  );
  return { ms: best, ...fitted, logloss: logLoss(labels, predictTable(fitted.model, table)) };
}

/** Runs the benchmark and prints ours vs scikit-learn: time, iterations, log-loss, objective, goal. */
export async function runTrainerBench(): Promise<void> {
  const table = trainerBenchTable();
  // Warm-up on a slice so the timed runs measure optimised code.
  runOurs(trainerBenchTable(5_000, FEATURES, SEED + 1), 2);
  const python = findPython();
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-trainer-bench-'));
  let ours: ReturnType<typeof runOurs> | undefined;
  let sklearn: SklearnRun | string = 'no python3 with scikit-learn found (apt-get install python3-sklearn)';
  try {
    const file = join(dir, 'table.f64');
    writeFileSync(
      file,
      new Uint8Array(table.values.buffer, table.values.byteOffset, table.values.byteLength),
    );
    // Alternating rounds, best of all: both sides see the same machine, whatever else runs on it.
    for (let round = 0; round < ROUNDS; round++) {
      const mine = runOurs(table, REPEATS);
      if (ours === undefined || mine.ms < ours.ms) ours = mine;
      if (python === undefined) continue;
      const theirs = runSklearn(python, file, table);
      if (typeof theirs === 'string') {
        sklearn = theirs;
        break;
      }
      if (typeof sklearn === 'string' || theirs.ms < sklearn.ms) sklearn = theirs;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (ours === undefined) throw new Error('no run');
  console.log(
    `trainer bench: ${ROWS.toLocaleString('en')} rows x ${FEATURES} features, l2 ${L2} ` +
      `(scikit-learn C = 1/(l2*n) = ${1 / (L2 * ROWS)}), best of ${ROUNDS} x ${REPEATS} runs, alternating`,
  );
  const rows: string[][] = [
    [
      'ours (Newton + BFGS)',
      ours.ms.toFixed(1),
      String(ours.iterations),
      ours.logloss.toFixed(8),
      ours.objective.toFixed(8),
    ],
  ];
  if (typeof sklearn !== 'string') {
    rows.push([
      `scikit-learn ${sklearn.version} lbfgs`,
      sklearn.ms.toFixed(1),
      String(sklearn.iterations),
      sklearn.logloss.toFixed(8),
      sklearn.objective.toFixed(8),
    ]);
  }
  const header = ['trainer', 'ms', 'iterations', 'log-loss', 'objective'];
  const widths = header.map((name, c) =>
    Math.max(name.length, ...rows.map((row) => (row[c] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (typeof sklearn === 'string') {
    console.log(`scikit-learn comparison skipped: ${sklearn}`);
    return;
  }
  const ratio = ours.ms / sklearn.ms;
  const delta = ours.logloss - sklearn.logloss;
  const met = ratio <= TIME_GOAL && Math.abs(delta) <= LOGLOSS_GOAL;
  console.log(
    `time ours/scikit-learn: ${ratio.toFixed(3)} (goal <= ${TIME_GOAL}); log-loss ours - scikit-learn: ` +
      `${delta.toExponential(2)} (goal |d| <= ${LOGLOSS_GOAL}): ${met ? 'met' : 'NOT met'}; ${sklearn.python}`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runTrainerBench();
}
