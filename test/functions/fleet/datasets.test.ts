import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { datasetReadBudget } from '#domain/admission.ts';
import { countRequests } from '../../../bench/capacity.ts';
import { LIST_MIN_KEYS, pageDatasetGate } from '../../../functions/fleet/datasets.ts';
import { useLocalStack } from '../../support/stack.ts';

const ids = (n: number, folder: (id: string) => string) =>
  Array.from({ length: n }, (_, i) => folder(`model-${String(i).padStart(3, '0')}`));

describe('pageDatasetGate (local S3)', () => {
  const local = useLocalStack();
  const put = (key: string, body: string) =>
    local.ctx.s3.send(new PutObjectCommand({ Bucket: local.stack.bucket, Key: key, Body: body }));

  it('finds the windows of models sharing a folder with one LIST, not a GET or HEAD per model', async () => {
    const keys = ids(40, (id) => `traffic/2026-11-19/${id}.csv`);
    // Half the windows arrived; another day's objects share the folder's parent and are not listed.
    await Promise.all(keys.filter((_, i) => i % 2 === 0).map((key) => put(key, 'x,y\n1,2\n')));
    await put('traffic/2026-11-18/model-001.csv', 'x\n1\n');
    const requests = await countRequests(local.ctx.s3);
    const gate = pageDatasetGate(local.ctx, keys, { memoryMb: 1769 });
    const sizes = await Promise.all(keys.map((key) => gate.find(key)));
    requests.stop();
    expect(sizes).toEqual(keys.map((_, i) => (i % 2 === 0 ? 8 : undefined)));
    expect(requests.calls).toEqual({ ListObjectsV2Command: 1 });
    expect(gate.requests).toEqual({ list: 1, head: 0 });
  });

  it('heads a key only when asked, when too few keys share its folder to make a LIST cheaper', async () => {
    const keys = ids(LIST_MIN_KEYS - 1, (id) => `datasets/${id}/2026-11-19.csv`);
    await put(keys[0] as string, 'x\n1\n');
    const requests = await countRequests(local.ctx.s3);
    const gate = pageDatasetGate(local.ctx, keys, { memoryMb: 1769 });
    expect(await gate.find(keys[0] as string)).toBe(4);
    expect(await gate.find(keys[1] as string)).toBeUndefined();
    expect(await gate.find(keys[1] as string)).toBeUndefined();
    requests.stop();
    expect(requests.calls).toEqual({ HeadObjectCommand: 2 });
  });

  it('runs dataset reads within the memory budget of the function', async () => {
    const gate = pageDatasetGate(local.ctx, [], { memoryMb: 1024 });
    const budget = datasetReadBudget(1024);
    let running = 0;
    let most = 0;
    const read = () =>
      gate.run(
        { bytes: budget / 3, seconds: 1 },
        async () => {
          running++;
          most = Math.max(most, running);
          await new Promise((resolve) => setTimeout(resolve, 5));
          running--;
          return true;
        },
        false,
      );
    expect(await Promise.all(Array.from({ length: 10 }, read))).toEqual(Array(10).fill(true));
    expect(most).toBe(3);
    expect(gate.queue.peakBytes).toBeLessThanOrEqual(budget);
  });

  it('leaves a read that would end after the deadline to a later check', async () => {
    let clock = 1_000_000;
    const gate = pageDatasetGate(local.ctx, [], {
      memoryMb: 1769,
      deadline: clock + 60_000,
      now: () => clock,
    });
    const work = async () => 'read';
    expect(await gate.run({ bytes: 1, seconds: 59 }, work, 'deferred')).toBe('read');
    clock += 30_000;
    expect(await gate.run({ bytes: 1, seconds: 31 }, work, 'deferred')).toBe('deferred');
    expect(await gate.run({ bytes: 1, seconds: 30 }, work, 'deferred')).toBe('read');
    expect(gate.deferred).toBe(1);
  });

  it('counts the reads in flight in a new read’s time: they share the CPU', async () => {
    const clock = 0;
    const gate = pageDatasetGate(local.ctx, [], { memoryMb: 1769, deadline: 100_000, now: () => clock });
    let release = () => {};
    const first = gate.run(
      { bytes: 1, seconds: 60 },
      () => new Promise<string>((r) => (release = () => r('read'))),
      'deferred',
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await gate.run({ bytes: 1, seconds: 50 }, async () => 'read', 'deferred')).toBe('deferred');
    expect(await gate.run({ bytes: 1, seconds: 40 }, async () => 'read', 'deferred')).toBe('read');
    release();
    expect(await first).toBe('read');
  });
});
