import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepName } from '#contracts/steps.ts';
import type { HandlerWrapper } from '#local/engine.ts';
import { aliasHistory, getChampion } from '#stores/champion.ts';
import { listRuns } from '#stores/runs.ts';
import { listVersions } from '#stores/versions.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// Faults injected around the real handlers (before or after their real work, as a crash or a lost Lambda
// response would), on the real ASL, dynalite and s3rver. After every fault: the champion changed only through
// a verified promotion, a run record exists, and the model's lock is free.
const T0 = '2026-11-10T00:00:00.000Z';
const T1 = '2026-11-20T00:00:00.000Z';
const hours = (iso: string, h: number) => new Date(Date.parse(iso) + h * 3_600_000).toISOString();

interface Fault {
  step: StepName;
  /** `before`: the step fails without doing anything; `after`: it did its work, then the call fails. */
  when: 'before' | 'after';
  error: string;
  /** How many calls fail (then the step works again). */
  times: number;
}

let faults: Fault[] = [];
/** A step that, after its real work, waits until released (a run caught mid-flight by Ctrl-C). */
let hang: { step: StepName; reached: () => void; release: Promise<void> } | undefined;

const wrapHandler: HandlerWrapper = (step, handler) => async (event, context) => {
  if (hang?.step === step) {
    const { reached, release } = hang;
    const result = await handler(event, context);
    reached();
    await release;
    return result;
  }
  const fault = faults.find((f) => f.step === step && f.times > 0);
  const fail = () => {
    if (fault) fault.times -= 1;
    throw Object.assign(new Error(`injected ${fault?.error} ${fault?.when} ${step}`), { name: fault?.error });
  };
  if (fault?.when === 'before') fail();
  const result = await handler(event, context);
  if (fault?.when === 'after') fail();
  return result;
};

let stack: TestStack;

beforeEach(async () => {
  faults = [];
  hang = undefined;
  stack = await freshStack({}, { wrapHandler });
  await stack.bootstrap(T0);
  // A KPI breach at T1 with shifted data: the candidate v2 beats v1 and its post-deploy KPIs are good.
  await writeDatasets(stack.ctx, stack.policy, { seed: 2, shifted: true });
  await observe(stack.ctx, precision(hours(T1, -6), 0.22), precision(hours(T1, 6), 0.45));
});
afterEach(async () => {
  await stack.close();
});

async function lockOwner(): Promise<string | undefined> {
  const { Item } = await stack.ctx.ddb.send(
    new GetCommand({ TableName: stack.ctx.config.registryTable, Key: { pk: 'churn', sk: 'LOCK' } }),
  );
  return Item?.owner as string | undefined;
}

/** Runs the loop at T1 with `injected` faults and checks the invariants; returns the run record. */
async function runWith(...injected: Fault[]) {
  faults = injected;
  const result = await stack.run({ asOf: T1 });
  const [record] = await listRuns(stack.ctx, 'churn');
  expect(record?.executionName).toBe(result.executionName);
  expect(await lockOwner()).toBeUndefined();
  const champion = (await getChampion(stack.ctx, 'churn'))?.version ?? null;
  expect(record?.championAfter).toBe(champion);
  if (record?.outcome !== 'promoted') expect(champion).toBe(1);
  return { result, record };
}

describe('Deploy and Rollback under faults', () => {
  it('a Deploy retried after its write (lost response) completes the promotion once', async () => {
    const { record } = await runWith({
      step: 'deploy',
      when: 'after',
      error: 'Lambda.ServiceException',
      times: 1,
    });
    expect(record).toMatchObject({ outcome: 'promoted', championBefore: 1, championAfter: 2 });
    const moves = (await aliasHistory(stack.ctx, 'churn')).map((c) => [c.previousVersion, c.version]);
    expect(moves).toEqual([
      [1, 2],
      [null, 1],
    ]);
  });

  it('a Deploy that fails after moving the alias is undone: the unverified candidate does not keep serving', async () => {
    const { result, record } = await runWith({ step: 'deploy', when: 'after', error: 'BoomError', times: 9 });
    expect(result.status).toBe('FAILED');
    expect(record).toMatchObject({
      outcome: 'failed',
      championBefore: 1,
      championAfter: 1,
      error: { name: 'BoomError' },
      rollback: { restoredVersion: 1, removedVersion: 2 },
    });
    expect(record?.summary).toMatch(/failed: BoomError: .*; champion unchanged$/);
    const [v2] = await listVersions(stack.ctx, 'churn');
    expect(v2).toMatchObject({ version: 2, status: 'rolled-back' });
    const moves = (await aliasHistory(stack.ctx, 'churn')).map((c) => [
      c.previousVersion,
      c.version,
      c.reason,
    ]);
    expect(moves[0]).toEqual([2, 1, 'rolled back from v2: its deploy failed']);
  });

  it('a Deploy that fails before moving the alias leaves it, and the candidate is marked failed', async () => {
    const { record } = await runWith({ step: 'deploy', when: 'before', error: 'BoomError', times: 9 });
    expect(record).toMatchObject({ outcome: 'failed', championAfter: 1, rollback: null });
    expect(record?.summary).toMatch(/; champion unchanged$/);
    expect((await listVersions(stack.ctx, 'churn'))[0]).toMatchObject({ version: 2, status: 'failed' });
    expect(await aliasHistory(stack.ctx, 'churn')).toHaveLength(1);
  });

  it('a Rollback retried after its write (lost response) ends rolled back, not failed', async () => {
    await observe(stack.ctx, precision(hours(T1, 6), 0.1));
    const { record } = await runWith({
      step: 'rollback',
      when: 'after',
      error: 'Lambda.ServiceException',
      times: 1,
    });
    expect(record).toMatchObject({ outcome: 'rolled-back', championBefore: 1, championAfter: 1 });
  });

  it('a Rollback that keeps failing is recorded with the truth: the candidate is still serving', async () => {
    await observe(stack.ctx, precision(hours(T1, 6), 0.1));
    const { record } = await runWith({
      step: 'rollback',
      when: 'before',
      error: 'BoomError',
      times: 9,
    }).catch(() => ({ record: undefined }));
    // The invariant "champion back at v1" cannot hold when the rollback itself cannot run; the record says so.
    expect(record).toBeUndefined();
    const [last] = await listRuns(stack.ctx, 'churn');
    expect(last).toMatchObject({ outcome: 'failed', championAfter: 2 });
    expect(last?.summary).toMatch(/champion left at v2$/);
    expect(await lockOwner()).toBeUndefined();
  });
});

describe('other steps under faults', () => {
  it('a Train retried after registering its version (lost response) registers one version, not two', async () => {
    const { record } = await runWith({
      step: 'train',
      when: 'after',
      error: 'Lambda.ServiceException',
      times: 1,
    });
    expect(record).toMatchObject({ outcome: 'promoted', candidate: { version: 2 } });
    expect((await listVersions(stack.ctx, 'churn')).map((v) => [v.version, v.status])).toEqual([
      [2, 'champion'],
      [1, 'retired'],
    ]);
  });

  it.each<[string, Fault]>([
    ['train fails', { step: 'train', when: 'before', error: 'BoomError', times: 9 }],
    [
      'train fails after registering the version',
      { step: 'train', when: 'after', error: 'BoomError', times: 9 },
    ],
    ['evaluate fails', { step: 'evaluate', when: 'before', error: 'BoomError', times: 9 }],
    ['verify fails', { step: 'verify', when: 'before', error: 'BoomError', times: 9 }],
    ['monitor fails after taking the lock', { step: 'monitor', when: 'after', error: 'BoomError', times: 9 }],
    ['analyze fails', { step: 'analyze', when: 'before', error: 'BoomError', times: 9 }],
    [
      'a transient error in train is retried',
      { step: 'train', when: 'before', error: 'TransientError', times: 2 },
    ],
    [
      'record fails twice (throttled), then records',
      { step: 'record', when: 'before', error: 'Lambda.TooManyRequestsException', times: 2 },
    ],
  ])('%s: champion unchanged unless verified, a record, the lock free', async (_name, fault) => {
    const { record } = await runWith(fault);
    expect(['failed', 'rolled-back', 'promoted']).toContain(record?.outcome);
    if (fault.error !== 'BoomError') expect(record?.outcome).toBe('promoted');
    const candidate = (await listVersions(stack.ctx, 'churn')).find((v) => v.version === 2);
    if (candidate) expect(candidate.status).not.toBe('candidate');
  });
});

describe('state size', () => {
  it('a window with more evidence than a state can carry fails the run with a record, not a lost execution', async () => {
    // 3,000 ingested drift scores of features no policy names: Monitor's result would pass 256 KB.
    const drift = Array.from({ length: 3000 }, (_, i) => ({
      type: 'drift' as const,
      modelId: 'churn',
      feature: `an_unlisted_feature_with_a_long_name_${String(i).padStart(4, '0')}`,
      method: 'psi',
      score: 0.01,
      timestamp: hours(T1, -3),
    }));
    await observe(stack.ctx, ...drift);
    const { result, record } = await runWith();
    expect(result.status).toBe('FAILED');
    expect(record).toMatchObject({ outcome: 'failed', error: { name: 'StateTooLargeError' } });
    expect(record?.error?.message).toMatch(/the monitor step's result is \d+ KB, over the 200 KB/);
  });
});

describe('interrupted local runs (SIGINT, SIGTERM)', () => {
  it('take back an unverified deploy, are recorded as failed and leave the lock free', async () => {
    let reached = () => {};
    let release = () => {};
    const deployed = new Promise<void>((done) => {
      reached = done;
    });
    hang = { step: 'deploy', reached, release: new Promise((done) => (release = done)) };
    const running = stack.run({ asOf: T1 });
    await deployed;
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(2);

    const interrupting = stack.backend.interrupt(
      'the command was interrupted (SIGINT) before the run finished',
    );
    release();
    const records = await interrupting;
    expect((await running).status).toBe('ABORTED');
    expect(records).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        championBefore: 1,
        championAfter: 1,
        error: { name: 'Interrupted', message: expect.stringContaining('SIGINT') },
      }),
    ]);
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(1);
    expect(await lockOwner()).toBeUndefined();
    expect((await listVersions(stack.ctx, 'churn'))[0]).toMatchObject({ version: 2, status: 'rolled-back' });
    const [last] = await listRuns(stack.ctx, 'churn');
    expect(last).toMatchObject({ outcome: 'failed', championAfter: 1 });
    expect((await aliasHistory(stack.ctx, 'churn'))[0]?.reason).toBe(
      'rolled back from v2: its run was interrupted before verification',
    );
  });

  it('leave a run that recorded itself alone: a verified promotion is not undone or recorded twice', async () => {
    let reached = () => {};
    let release = () => {};
    const recorded = new Promise<void>((done) => {
      reached = done;
    });
    hang = { step: 'record', reached, release: new Promise((done) => (release = done)) };
    const running = stack.run({ asOf: T1 });
    await recorded;
    const interrupting = stack.backend.interrupt(
      'the command was interrupted (SIGINT) before the run finished',
    );
    release();
    expect(await interrupting).toEqual([]);
    await running;
    expect((await listRuns(stack.ctx, 'churn')).map((run) => run.outcome)).toEqual(['promoted', 'promoted']);
    expect((await getChampion(stack.ctx, 'churn'))?.version).toBe(2);
    expect(await lockOwner()).toBeUndefined();
  });
});
