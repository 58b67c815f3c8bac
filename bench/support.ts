// What the benches share: generated files, their upload, measuring in a child process, a seeded champion.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { KaizenContext } from '#runtime/context.ts';
import { moveChampion } from '#stores/champion.ts';

/** Writes `count` generated lines (after an optional header) to `path`, in batches, honouring back-pressure. */
export async function writeLines(
  path: string,
  count: number,
  line: (index: number) => string,
  header?: string,
): Promise<void> {
  const out = createWriteStream(path);
  if (header !== undefined) out.write(`${header}\n`);
  let batch: string[] = [];
  for (let i = 0; i < count; i++) {
    batch.push(line(i));
    if (batch.length === 10_000) {
      if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
      batch = [];
    }
  }
  if (batch.length > 0) out.write(`${batch.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
}

/** Puts a local file into the stack's bucket, streamed. */
export async function uploadFile(ctx: KaizenContext, path: string, key: string): Promise<number> {
  const size = statSync(path).size;
  await ctx.s3.send(
    new PutObjectCommand({
      Bucket: ctx.config.bucket,
      Key: key,
      Body: createReadStream(path),
      ContentLength: size,
    }),
  );
  return size;
}

/**
 * Runs `script` again in a child Node (under tsx) with `args`, so its memory is measured alone, and returns the
 * JSON of the last line it prints. Not spawnSync: the local servers answering the child run on this process's
 * event loop. @throws naming the last lines of its stderr when it exits non-zero.
 */
export async function runSelf<T>(
  script: string,
  args: readonly string[],
  options: { cwd?: string; stderr?: 'capture' | 'inherit' } = {},
): Promise<T> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, ...args], {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', options.stderr === 'inherit' ? 'inherit' : 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const [code] = await once(child, 'close');
  if (code !== 0)
    throw new Error(`child exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as T;
}

/** Gives a benchmark model its first champion (version 1), as a verified first run would. */
export async function seedChampion(ctx: KaizenContext, modelId: string): Promise<void> {
  await moveChampion(ctx, {
    modelId,
    version: 1,
    artifactKey: `models/${modelId}/bench/model.json`,
    expected: null,
    reason: 'bench seed',
    executionName: 'bench',
    since: '2026-10-01T00:00:00.000Z',
  });
}
