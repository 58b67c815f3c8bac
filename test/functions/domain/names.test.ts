import { describe, expect, it } from 'vitest';
import {
  compactStamp,
  executionName,
  MAX_EXECUTION_NAME,
  MAX_JOB_NAME,
  sageMakerJobName,
} from '#domain/names.ts';
import { automatedExecutionName } from '#stores/starts.ts';
import { executionName as manualName } from '../../../cli/names.ts';

const longest = 'a'.repeat(63);
const VALID = /^[A-Za-z0-9_~-]{1,80}$/;

describe('execution names', () => {
  it('keeps short ids as they are', () => {
    expect(automatedExecutionName('churn', '2026-11-20T00:00:00.000Z')).toBe('auto-churn-20261120T000000Z');
  });

  it.each([1, 40, 56, 57, 63])('keeps the time of a %i-character id within 80 characters', (length) => {
    const id = 'm'.repeat(length);
    const name = automatedExecutionName(id, '2026-11-20T00:00:00.000Z');
    expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME);
    expect(name).toMatch(VALID);
    expect(name.endsWith('-20261120T000000Z')).toBe(true);
  });

  it('gives two long ids that share their first 60 characters different names', () => {
    const a = automatedExecutionName(`${'x'.repeat(60)}abc`, '2026-11-20T00:00:00.000Z');
    const b = automatedExecutionName(`${'x'.repeat(60)}abd`, '2026-11-20T00:00:00.000Z');
    expect(a).not.toBe(b);
  });

  it('gives two windows of a 63-character id different names (they used to collide)', () => {
    expect(automatedExecutionName(longest, '2026-11-20T00:00:00.000Z')).not.toBe(
      automatedExecutionName(longest, '2026-11-21T00:00:00.000Z'),
    );
  });

  it('keeps the random suffix of manual runs for a 63-character id', () => {
    const names = new Set(Array.from({ length: 50 }, () => manualName('manual', longest)));
    expect(names.size).toBe(50);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME);
      expect(name).toMatch(/-[0-9a-f]{6}$/);
    }
  });

  it('compacts timestamps and refuses parts that leave no room for the id', () => {
    expect(compactStamp('2026-11-20T01:02:03.456Z')).toBe('20261120T010203Z');
    expect(() => executionName('k', 'id', 'x'.repeat(70))).toThrow(RangeError);
  });
});

describe('sageMakerJobName', () => {
  const pattern = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
  it.each([
    ['churn', 'kaizen-train-churn-'],
    ['fraud_v2', 'kaizen-train-fraud-v2-'],
    ['a'.repeat(63), 'kaizen-train-aaaa'],
    ['__x__', 'kaizen-train-x-'],
    ['___', 'kaizen-train-model-'],
  ])('%s -> a valid name starting %s', (modelId, prefix) => {
    const name = sageMakerJobName('train', modelId, 'bucket/execution');
    expect(name.startsWith(prefix)).toBe(true);
    expect(name.length).toBeLessThanOrEqual(MAX_JOB_NAME);
    expect(name).toMatch(pattern);
  });

  it('differs per scope (execution, stack, model role) and is stable for one', () => {
    const a = sageMakerJobName('score', 'churn', 'bucket/exec-1/candidate');
    expect(sageMakerJobName('score', 'churn', 'bucket/exec-1/candidate')).toBe(a);
    expect(sageMakerJobName('score', 'churn', 'bucket/exec-1/champion')).not.toBe(a);
    expect(sageMakerJobName('score', 'churn', 'other/exec-1/candidate')).not.toBe(a);
  });
});
