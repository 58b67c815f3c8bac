// Startup bench: each Lambda bundle's size (what a cold start loads, and the chunks loaded on first use) and
// its cold import time without the AWS SDK, built exactly as synthesis builds them; and the CLI's start-up
// (`kaizen --version` against a bare `node -e 0`, `kaizen status` on a local home with 10 models, cold and through a
// running `kaizen serve`).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionName } from '#contracts/steps.ts';
import { bundleFunction } from '#lib/bundle.ts';
import { PROJECT_ROOT, projectPath } from '#lib/project.ts';
import { publishedStack } from '#local/published.ts';

const GOALS = { bundleKiB: 150, importMs: 60, versionRatio: 3, statusSeconds: 0.35 };
const RUNS = 7;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/** The chunks a module imports statically (loaded with it), transitively. */
function eagerFiles(dir: string, file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(join(dir, file), 'utf8');
  for (const match of text.matchAll(/(?:^|[;}\s])import(?:[^"'()]*?from)?\s*["']\.\/([^"']+)["']/g)) {
    eagerFiles(dir, match[1] as string, seen);
  }
  return seen;
}

export interface BundleFigures {
  name: FunctionName;
  eagerKiB: number;
  lazyKiB: number;
  importMs: number;
  importWithSdkMs: number;
}

/** Times a fresh process's `import()` of the bundle, the SDK packages it uses loaded before the clock starts. */
function importTime(bundle: string, sdk: string[]): { ms: number; withSdkMs: number } {
  const script = `
    const t0 = performance.now();
    for (const name of ${JSON.stringify(sdk)}) await import(name);
    const t1 = performance.now();
    await import(${JSON.stringify(bundle)});
    const t2 = performance.now();
    console.log(JSON.stringify({ ms: t2 - t1, withSdkMs: t2 - t0 }));`;
  const runs = Array.from(
    { length: RUNS },
    () =>
      JSON.parse(
        execFileSync(process.execPath, ['--input-type=module', '-e', script], {
          cwd: PROJECT_ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            AWS_REGION: 'us-east-1',
            POWERTOOLS_METRICS_NAMESPACE: 'bench',
          },
          encoding: 'utf8',
        }),
      ) as { ms: number; withSdkMs: number },
  );
  return { ms: median(runs.map((r) => r.ms)), withSdkMs: median(runs.map((r) => r.withSdkMs)) };
}

export function runBundleFigures(): BundleFigures[] {
  // Under the project, so the bundles resolve the AWS SDK from node_modules as the runtime provides it.
  const cache = projectPath('node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const root = mkdtempSync(join(cache, 'kaizen-bundles-'));
  try {
    return (Object.keys(FUNCTIONS) as FunctionName[]).map((name) => {
      const dir = join(root, name);
      bundleFunction(projectPath(FUNCTIONS[name].entry), dir);
      const files = readdirSync(dir).filter((file) => file.endsWith('.mjs'));
      const eager = eagerFiles(dir, 'index.mjs');
      const kib = (list: string[]) =>
        list.reduce((sum, file) => sum + statSync(join(dir, file)).size, 0) / 1024;
      const sdk = [
        ...new Set(
          [...eager].flatMap((file) =>
            [...readFileSync(join(dir, file), 'utf8').matchAll(/from\s*["'](@aws-sdk\/[^"']+)["']/g)].map(
              (m) => m[1] as string,
            ),
          ),
        ),
      ];
      const time = importTime(join(dir, 'index.mjs'), sdk);
      return {
        name,
        eagerKiB: kib([...eager]),
        lazyKiB: kib(files.filter((file) => !eager.has(file))),
        importMs: time.ms,
        importWithSdkMs: time.withSdkMs,
      };
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Median wall time of a command, in seconds. */
function timeCommand(command: string, args: string[]): number {
  const runs = Array.from({ length: RUNS }, () => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e9;
  });
  return median(runs);
}

/** Runs `kaizen serve` on `home` until the returned stop function runs: a stack other commands attach to. */
async function serving(kaizen: string, home: string): Promise<() => Promise<void>> {
  const server = spawn(process.execPath, [kaizen, '--home', home, 'serve', '--port', '0'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  for (let waited = 0; !publishedStack(home); waited += 50) {
    if (waited > 30_000 || server.exitCode !== null) throw new Error('kaizen serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return async () => {
    server.kill('SIGTERM');
    await exited;
  };
}

export async function runCliFigures(): Promise<{
  bare: number;
  version: number;
  status: number;
  statusAttached: number;
}> {
  const kaizen = projectPath('bin/kaizen.js');
  const home = mkdtempSync(join(tmpdir(), 'kaizen-status-'));
  try {
    const policy = JSON.parse(readFileSync(projectPath('examples/churn-policy.json'), 'utf8'));
    for (let i = 1; i <= 10; i += 1) {
      const file = join(home, `model-${i}.json`);
      writeFileSync(file, JSON.stringify({ ...policy, modelId: `model-${i}` }));
      execFileSync(process.execPath, [kaizen, '--home', home, 'models', 'put', file], { stdio: 'ignore' });
    }
    // Warm the file cache and the prebuilt CLI once, as a second command of a session would find them.
    timeCommand(process.execPath, [kaizen, '--version']);
    const figures = {
      bare: timeCommand(process.execPath, ['-e', '0']),
      version: timeCommand(process.execPath, [kaizen, '--version']),
      status: timeCommand(process.execPath, [kaizen, '--home', home, 'status']),
    };
    // The same command while a `kaizen serve` holds the home: it reads through that stack.
    const stop = await serving(kaizen, home);
    try {
      return {
        ...figures,
        statusAttached: timeCommand(process.execPath, [kaizen, '--home', home, 'status']),
      };
    } finally {
      await stop();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export async function runStartupBench(): Promise<void> {
  const bundles = runBundleFigures();
  console.log(
    `Lambda bundles (goal: ≤ ${GOALS.bundleKiB} KiB loaded at cold start, ≤ ${GOALS.importMs} ms import without the SDK)`,
  );
  console.log('function    cold-start KiB  lazy KiB  import ms  with SDK ms  goal');
  for (const b of bundles) {
    const met = b.eagerKiB <= GOALS.bundleKiB && b.importMs <= GOALS.importMs;
    console.log(
      `${b.name.padEnd(11)} ${b.eagerKiB.toFixed(0).padStart(14)} ${b.lazyKiB.toFixed(0).padStart(9)} ${b.importMs
        .toFixed(0)
        .padStart(10)} ${b.importWithSdkMs.toFixed(0).padStart(12)}  ${met ? 'met' : 'MISSED'}`,
    );
  }
  const cli = await runCliFigures();
  console.log(`\nCLI start-up (Node ${process.versions.node}, median of ${RUNS})`);
  console.log(`node -e 0               ${cli.bare.toFixed(3)} s`);
  console.log(
    `kaizen --version        ${cli.version.toFixed(3)} s  = ${(cli.version / cli.bare).toFixed(1)}× bare (goal ≤ ${GOALS.versionRatio}×) ${cli.version / cli.bare <= GOALS.versionRatio ? 'met' : 'MISSED'}`,
  );
  console.log(
    `kaizen status, 10 models ${cli.status.toFixed(3)} s (goal ≤ ${GOALS.statusSeconds} s) ${cli.status <= GOALS.statusSeconds ? 'met' : 'MISSED'}`,
  );
  console.log(
    `  … attached to a running kaizen serve ${cli.statusAttached.toFixed(3)} s (goal ≤ ${GOALS.statusSeconds} s) ${cli.statusAttached <= GOALS.statusSeconds ? 'met' : 'MISSED'}`,
  );
}
