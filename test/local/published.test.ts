import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publishedStack, STACK_FILE } from '#local/published.ts';

const endpoints = { dynamodb: 'http://127.0.0.1:1', s3: 'http://127.0.0.1:2', states: 'http://127.0.0.1:3' };
let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-published-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('publishedStack', () => {
  it('is the stack a live process publishes: its pid and endpoints', async () => {
    await writeFile(join(home, STACK_FILE), JSON.stringify({ pid: process.pid, endpoints }));
    expect(publishedStack(home)).toEqual({ pid: process.pid, endpoints });
  });

  it.each([
    ['no file', undefined],
    ['a process that has exited', () => JSON.stringify({ pid: deadPid(), endpoints })],
    ['half a file', () => JSON.stringify({ pid: process.pid, endpoints }).slice(0, 20)],
    ['no endpoints', () => JSON.stringify({ pid: process.pid })],
  ])('is none for %s', async (_, content) => {
    if (content) await writeFile(join(home, STACK_FILE), content());
    expect(publishedStack(home)).toBeUndefined();
  });
});
