import { describe, expect, it } from 'vitest';
import { buildRunRecord, describeError, MAX_ERROR_MESSAGE } from '#domain/record.ts';

describe('describeError', () => {
  it.each([
    [
      { Error: 'BoomError', Cause: '{"errorType":"BoomError","errorMessage":"broken"}' },
      'BoomError',
      'broken',
    ],
    [{ Error: 'States.Timeout', Cause: 'plain text' }, 'States.Timeout', 'plain text'],
    [
      {
        Error: 'States.TaskFailed',
        Cause:
          '{"TrainingJobName":"kaizen-train-churn-1","TrainingJobStatus":"Failed","FailureReason":"AlgorithmError: exit 3"}',
      },
      'States.TaskFailed',
      'SageMaker job kaizen-train-churn-1 failed: AlgorithmError: exit 3',
    ],
    [
      {
        Error: 'States.TaskFailed',
        Cause: '{"ProcessingJobStatus":"Failed","FailureReason":"no scores.csv"}',
      },
      'States.TaskFailed',
      'no scores.csv',
    ],
    [{}, 'Error', ''],
  ])('reads %j', (error, name, message) => {
    expect(describeError(error)).toEqual({ name, message });
  });

  it('keeps at most 2,000 characters of a message, so a run record stays far below the item limit', () => {
    const described = describeError({
      Error: 'E',
      Cause: JSON.stringify({ errorMessage: 'x'.repeat(100_000) }),
    });
    expect(described?.message).toHaveLength(MAX_ERROR_MESSAGE + 1);
    expect(described?.message.endsWith('…')).toBe(true);
  });
});

describe('buildRunRecord of a failed run', () => {
  const state = {
    run: {
      modelId: 'churn',
      force: false,
      dryRun: false,
      asOf: '2026-11-20T00:00:00.000Z',
      executionName: 'e1',
      startedAt: '2026-11-20T00:00:01.000Z',
    },
    champion: { version: 1, artifactKey: 'k', since: '2026-11-01T00:00:00.000Z' },
    error: { Error: 'BoomError', Cause: 'broken' },
  };

  it.each([
    [undefined, 1, 'champion unchanged'],
    [1, 1, 'champion unchanged'],
    [2, 2, 'champion left at v2'],
    [null, null, 'champion left at none'],
  ])('with the registry saying %s: championAfter %s, "%s"', (championNow, after, summary) => {
    const record = buildRunRecord(state, 'failed', '2026-11-20T00:01:00.000Z', undefined, championNow);
    expect(record.championAfter).toBe(after);
    expect(record.summary).toBe(`failed: BoomError: broken; ${summary}`);
  });
});
