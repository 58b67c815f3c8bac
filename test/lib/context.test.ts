import { describe, expect, it } from 'vitest';
import { contextString, parseModelList } from '#lib/context.ts';

describe('parseModelList', () => {
  it.each<[string, unknown, string[]]>([
    ['absent', undefined, []],
    ['null', null, []],
    ['an empty string', '', []],
    ['a comma-separated string', 'churn,fraud', ['churn', 'fraud']],
    ['a string with spaces and empty entries', ' churn , ,fraud, ', ['churn', 'fraud']],
    ['a JSON array from cdk.json', ['churn', 'fraud'], ['churn', 'fraud']],
    ['duplicates', ['churn', 'churn', ' churn'], ['churn']],
  ])('reads %s', (_case, value, expected) => {
    expect(parseModelList(value)).toEqual(expected);
  });

  it.each<[string, unknown]>([
    ['a number', 3],
    ['an object', { churn: true }],
    ['an array with a non-string', ['churn', 7]],
  ])('rejects %s', (_case, value) => {
    expect(() => parseModelList(value)).toThrow(/kaizen:scheduledModels/);
  });
});

describe('contextString', () => {
  it.each<[unknown, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['  ', undefined],
    [' rate(2 hours) ', 'rate(2 hours)'],
  ])('reads %j as %j', (value, expected) => {
    expect(contextString(value, 'kaizen:schedule')).toBe(expected);
  });

  it('rejects a non-string and names the context key', () => {
    expect(() => contextString(42, 'kaizen:schedule')).toThrow(/kaizen:schedule/);
  });
});
