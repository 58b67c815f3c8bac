import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelPolicyInput } from '#domain/policy.ts';
import { getChampion } from '#stores/champion.ts';
import { listPendingTasks } from '#stores/tasks.ts';
import { listVersions } from '#stores/versions.ts';
import { cliIn } from '../support/cli.ts';
import { freshStack, observe, precision, type TestStack, writeDatasets } from '../support/loop.ts';

// Human approval of promotions on the local stack: the loop asks (SNS, an event, a pending task) and waits on
// a task token; `kaizen approve` / `kaizen reject` answer from the CLI; no answer in time is a rejection.
const T0 = '2026-11-10T00:00:00.000Z';
let stack: TestStack;
const { kaizen } = cliIn(() => stack.home);

afterEach(async () => {
  await stack?.close();
});

/** A stack whose first run will want to promote v1; `run()` starts it. */
async function setUp(approval: ModelPolicyInput['approval']) {
  stack = await freshStack({ approval });
  await writeDatasets(stack.ctx, stack.policy, { seed: 1, shifted: false });
  await observe(stack.ctx, precision('2026-11-10T06:00:00.000Z', 0.3));
  return () => stack.run({ asOf: T0 });
}

/** Waits until the approval is recorded and its request published (the event names the token). */
async function waitingApproval() {
  for (let i = 0; i < 200; i += 1) {
    const [task] = (await listPendingTasks(stack.ctx)).filter((t) => t.kind === 'approval');
    const events = await readFile(join(stack.home, 'events.jsonl'), 'utf8').catch(() => '');
    if (task && events.includes(task.token)) return task;
    await new Promise((done) => setTimeout(done, 50));
  }
  throw new Error('no approval was requested');
}

const lines = async (file: string) =>
  (await readFile(join(stack.home, file), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('approval of promotions', () => {
  it('asks, waits, and deploys what a person approved; the record says who', async () => {
    const running = (await setUp({ required: true, timeout: 'PT60S' }))();
    const task = await waitingApproval();
    expect(task.request).toMatchObject({
      modelId: 'churn',
      reason: 'the policy requires a person to approve every promotion',
      candidate: { version: 1, backend: 'builtin' },
      scores: { metric: 'auc', champion: null },
      card: 'kaizen card --model churn 1',
    });
    const [notification] = await lines('notifications.jsonl');
    expect(notification.subject).toBe('Kaizen Loop: churn v1 waits for approval');
    expect(notification.message).toContain('Approve: kaizen approve --model churn');
    const requested = (await lines('events.jsonl')).find(
      (e) => e['detail-type'] === 'Kaizen Approval Requested',
    );
    expect(requested?.detail).toMatchObject({ modelId: 'churn', taskToken: task.token });
    const listed = await kaizen('approvals');
    expect(listed.out).toMatch(
      /^MODEL +CANDIDATE +SCORES +WHY +DEADLINE\n[- ]+\nchurn +v1 +auc 0\.\d{4} +the policy requires/,
    );

    const approved = await kaizen(
      'approve',
      '--model',
      'churn',
      '--comment',
      'holdout looks right',
      '--by',
      'alice',
    );
    expect(approved).toMatchObject({
      code: 0,
      out: 'churn: approved by alice; the run deploys and verifies it',
    });
    const { record } = await running;
    expect(record).toMatchObject({
      outcome: 'promoted',
      championAfter: 1,
      approval: { approved: true, by: 'alice', comment: 'holdout looks right' },
    });
    expect(record?.summary).toMatch(/^v1 promoted, approved by alice and verified/);
    expect(await listPendingTasks(stack.ctx)).toEqual([]);
  });

  it('records a rejection by a person as rejected; the champion stays', async () => {
    const running = (await setUp({ required: true, timeout: 'PT60S' }))();
    await waitingApproval();
    const rejected = await kaizen(
      'reject',
      '--model',
      'churn',
      '--reason',
      'label leak in tenure',
      '--by',
      'bob',
    );
    expect(rejected.code).toBe(0);
    const { record } = await running;
    expect(record).toMatchObject({
      outcome: 'rejected',
      championAfter: null,
      approval: { approved: false, by: 'bob', comment: 'label leak in tenure' },
      summary: 'v1 rejected by bob: label leak in tenure',
    });
    expect((await listVersions(stack.ctx, 'churn'))[0]?.status).toBe('rejected');
    expect(await getChampion(stack.ctx, 'churn')).toBeNull();
    const events = (await lines('events.jsonl')).map((e) => e['detail-type']);
    expect(events).toEqual(['Kaizen Approval Requested', 'Kaizen Candidate Rejected']);
    // Nothing waits any more.
    const again = await kaizen('approve', '--model', 'churn');
    expect(again.code).toBe(2);
    expect(again.err).toContain('no promotion of churn waits for approval');
  });

  it('treats no answer within the timeout as a rejection', async () => {
    const { record } = await (await setUp({ required: true, timeout: 'PT2S' }))();
    expect(record).toMatchObject({
      outcome: 'rejected',
      championAfter: null,
      approval: { approved: false, timedOut: true },
    });
    expect(record?.summary).toContain('nobody approved it in time');
    expect(await listPendingTasks(stack.ctx)).toEqual([]);
  });

  it('does not wait when only suspicious gains need a person and there is no champion to beat', async () => {
    const { record } = await (await setUp({ whenGainAbove: 0.05, timeout: 'PT60S' }))();
    expect(record).toMatchObject({ outcome: 'promoted', championAfter: 1 });
    expect(record?.approval).toBeUndefined();
  });
});
