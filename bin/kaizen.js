#!/usr/bin/env node
// Launcher. The CLI is TypeScript run through tsx and needs Node >= 22; on an older system Node it
// re-runs itself with the Node that `npm ci` installs into node_modules (the `node` devDependency).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const bundled = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(bundled)) {
    console.error(
      `kaizen needs Node.js >= 22 (this is ${process.version}); run \`npm ci\` first or install Node 22+.`,
    );
    process.exit(1);
  }
  const { status } = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
await import('./kaizen.ts');
