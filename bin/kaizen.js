#!/usr/bin/env node
// Launcher. The CLI is TypeScript run through tsx and needs Node >= 22; on an older system Node it
// re-runs itself with the Node that `npm ci` installs into node_modules (the `node` devDependency).
import { spawn } from 'node:child_process';
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
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  // A signal sent to this process alone (a process manager, `kill <pid>`) reaches the CLI, which settles its runs.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1));
  });
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./kaizen.ts');
}
