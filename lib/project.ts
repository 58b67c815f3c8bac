import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the project root, so synthesis works from any working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Resolves a path relative to the project root (as written in the step registry). */
export function projectPath(relative: string): string {
  return join(PROJECT_ROOT, relative);
}

/** Reads a state machine definition file (relative to the project root) as text. */
export function readDefinition(relative: string): string {
  return readFileSync(projectPath(relative), 'utf8');
}
