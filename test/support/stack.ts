import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, startLocalStack } from '#local/stack.ts';
import type { KaizenContext, LoopStarter } from '#runtime/context.ts';

/**
 * A local stack for the tests of one file: started before them, stopped after. `started` lists the loops the
 * stores asked to start (none run).
 */
export function useLocalStack() {
  const fixture = {} as { stack: LocalStack; ctx: KaizenContext; home: string; started: string[] };
  const loops: LoopStarter = {
    async start(name) {
      fixture.started.push(name);
    },
  };
  beforeAll(async () => {
    fixture.home = await mkdtemp(join(tmpdir(), 'kaizen-stores-'));
    fixture.stack = await startLocalStack({ home: fixture.home });
    fixture.ctx = fixture.stack.context(loops);
    fixture.started = [];
  });
  afterAll(async () => {
    fixture.ctx.close();
    await fixture.stack.stop();
    await rm(fixture.home, { recursive: true, force: true });
  });
  return fixture;
}
