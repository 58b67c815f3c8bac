import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

// Replaced with `true` by the CLI's build (scripts/build-cli.mjs); undeclared when run from the sources.
declare const KAIZEN_PREBUILT: boolean | undefined;

/** Whether this code runs from the prebuilt CLI in `dist/cli/` rather than from the TypeScript sources. */
export const PREBUILT = typeof KAIZEN_PREBUILT !== 'undefined' && KAIZEN_PREBUILT;

/** The folder of the prebuilt CLI, relative to the project root. */
export const PREBUILT_DIR = 'dist/cli';

/** The nearest folder at or above `from` holding a package.json: the project root from sources or `dist/cli/`. */
export function findProjectRoot(from: string): string {
  let dir = resolve(from);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Absolute path of the project root (examples, state machines, package.json resolve against it). */
export const PROJECT_ROOT = findProjectRoot(import.meta.dirname);

/**
 * The module that holds a step's handler: its TypeScript entry from the sources, or the same entry compiled
 * into the prebuilt CLI (so the CLI and the handlers share one copy of every module).
 */
export function stepModule(root: string, entry: string): string {
  return PREBUILT ? join(root, PREBUILT_DIR, entry.replace(/\.ts$/, '.js')) : resolve(root, entry);
}
