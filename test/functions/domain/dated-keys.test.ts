import { describe, expect, it } from 'vitest';
import { datedKeys, isDated } from '#domain/dated-keys.ts';

const DAY = 86_400;

describe('datedKeys', () => {
  it.each<[string, string, number, string[]]>([
    ['d/train.csv', '2026-11-20T00:00:00Z', 28 * DAY, ['d/train.csv']],
    ['d/{date}.csv', '2026-11-20T00:00:00Z', DAY, ['d/2026-11-19.csv']],
    [
      'd/{date}.csv',
      '2026-11-20T00:00:00Z',
      3 * DAY,
      ['d/2026-11-17.csv', 'd/2026-11-18.csv', 'd/2026-11-19.csv'],
    ],
    // A run at noon reads the day it is in too: the window touches it.
    ['d/{date}.csv', '2026-11-20T12:00:00Z', DAY, ['d/2026-11-19.csv', 'd/2026-11-20.csv']],
    ['d/{date}/part-{date}.csv', '2026-03-01T00:00:00Z', DAY, ['d/2026-02-28/part-2026-02-28.csv']],
    ['d/{date}.csv', '2026-11-20T00:00:00Z', 3600, ['d/2026-11-19.csv']],
  ])('%s as of %s over %i s: %j', (template, end, seconds, keys) => {
    expect(datedKeys(template, end, seconds)).toEqual(keys);
  });

  it('names only templates with {date} as dated, and refuses a time that is none', () => {
    expect(isDated('d/{date}.csv')).toBe(true);
    expect(isDated('d/date.csv')).toBe(false);
    expect(() => datedKeys('d/{date}.csv', 'yesterday', DAY)).toThrow(RangeError);
  });
});
