import { describe, expect, it } from 'vitest';
import { contextString } from '#lib/context.ts';

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
