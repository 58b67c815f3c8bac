import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a running stack publishes its endpoints, so read-only commands can use it while it works. */
export const STACK_FILE = 'stack.json';

/** A running stack's process and loopback endpoints, as it publishes them in its home. */
export interface PublishedStack {
  pid: number;
  endpoints: { dynamodb: string; s3: string; states: string };
}

/**
 * The stack a live process publishes on `home`, if any: a file left by a process that died, or one being written,
 * is none. Synchronous and light, so the CLI can ask before it loads a command.
 */
export function publishedStack(home: string): PublishedStack | undefined {
  try {
    const { pid, endpoints } = JSON.parse(
      readFileSync(join(home, STACK_FILE), 'utf8'),
    ) as Partial<PublishedStack>;
    // Signal 0 only asks whether the process exists; it throws when it does not.
    if (typeof pid === 'number' && endpoints && process.kill(pid, 0)) return { pid, endpoints };
  } catch {
    // No file, half a file, or a process that is gone.
  }
  return undefined;
}
