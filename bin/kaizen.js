#!/usr/bin/env node
// Launcher. The CLI needs Node >= 22: on an older system Node it re-runs itself with the Node that `npm ci`
// installs into node_modules (the `node` devDependency). It runs the prebuilt JavaScript in dist/cli/ (built by
// `npm ci`, rebuilt here when a source file is newer), or the TypeScript sources through tsx if it cannot build.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import nodeModule from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist', 'cli');

/** Whether dist/cli/ was built after every source it was built from last changed. */
function fresh() {
  try {
    const { builtAt, sources } = JSON.parse(readFileSync(join(DIST, 'build.json'), 'utf8'));
    return sources.every((source) => statSync(join(ROOT, source)).mtimeMs < builtAt);
  } catch {
    return false;
  }
}

/** The prebuilt entry, built now if missing or stale; undefined if it cannot be built (no esbuild, bad source). */
async function prebuilt() {
  if (!fresh()) {
    try {
      const { buildCli } = await import('../scripts/build-cli.mjs');
      await buildCli();
    } catch {
      return undefined;
    }
  }
  return join(DIST, 'bin', 'kaizen.js');
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const bundled = join(ROOT, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    console.error(
      `kaizen needs Node.js >= 22 (this is ${process.version}); run \`npm ci\` first or install Node 22+.`,
    );
    process.exit(1);
  }
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // A signal sent to this process alone (a process manager, `kill <pid>`) reaches the CLI, which settles its runs.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
  });
} else {
  // V8 keeps the compiled code of the CLI's modules on disk: later starts skip parsing and compiling it.
  nodeModule.enableCompileCache?.(join(ROOT, 'node_modules', '.cache', 'kaizen-compile'));
  const entry = await prebuilt();
  if (entry) await import(entry);
  else {
    const { register } = await import('tsx/esm/api');
    register();
    await import('./kaizen.ts');
  }
}
