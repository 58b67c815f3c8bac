import { describe, expect, it } from 'vitest';
import { itemSize } from '../../bench/capacity.ts';
import { monthlyCost, PRICES } from '../../bench/fleet.ts';

const base = () => ({
  models: 1000,
  perDay: 24,
  pageSize: 100,
  rruPerCheck: 1,
  wruPerCheck: 0.1,
  lambdaSecondsPerCheck: 0.003,
  lambdaMemoryGb: 0.5,
});

describe('cost model', () => {
  it('counts 720,000 checks and 7,200 page invocations for 1,000 models hourly', () => {
    const cost = monthlyCost(base());
    expect(cost.checks).toBe(720_000);
    expect(cost.lines.find(([item]) => item === 'Lambda requests')?.[2]).toBeCloseTo(
      7200 * PRICES.lambdaRequest,
      12,
    );
    expect(cost.lines.find(([item]) => item === 'DynamoDB reads')?.[2]).toBeCloseTo(
      720_000 * PRICES.dynamoRru,
      12,
    );
    expect(cost.lines.find(([item]) => item === 'DynamoDB writes')?.[2]).toBeCloseTo(
      72_000 * PRICES.dynamoWru,
      12,
    );
    expect(cost.total).toBeCloseTo(
      cost.lines.reduce((sum, [, , c]) => sum + c, 0),
      12,
    );
  });

  it.each([
    ['twice the reads', { rruPerCheck: 2 }, 'DynamoDB reads', 2],
    ['twice the Lambda time', { lambdaSecondsPerCheck: 0.006 }, 'Lambda duration', 2],
    ['pages of 50 instead of 100', { pageSize: 50 }, 'Lambda requests', 2],
    ['3,538 MB instead of 512 MB (2 x a full vCPU)', { lambdaMemoryGb: 3.538 }, 'Lambda duration', 2],
    ['checks every two hours', { perDay: 12 }, 'DynamoDB writes', 0.5],
  ])('scales linearly: %s', (_case, change, item, factor) => {
    const before = monthlyCost(base()).lines.find(([name]) => name === item)?.[2] ?? 0;
    const after = monthlyCost({ ...base(), ...change }).lines.find(([name]) => name === item)?.[2] ?? 0;
    expect(after / before).toBeCloseTo(factor, 9);
  });
});

describe('S3 requests', () => {
  const s3 = (change: object) =>
    monthlyCost({ ...base(), ...change }).lines.find(([name]) => name === 'S3 requests')?.[2] ?? 0;
  it('prices a LIST as 12.5 GETs: one LIST per page of 100 costs an eighth of a GET per model', () => {
    expect(s3({ s3ListsPerCheck: 0.08 })).toBeCloseTo(s3({ s3GetsPerCheck: 1 }), 12);
    expect(s3({ s3ListsPerCheck: 0.01 }) / s3({ s3GetsPerCheck: 1 })).toBeCloseTo(0.125, 12);
  });
});

describe('itemSize', () => {
  it.each([
    ['a short string', 'abc', 3],
    ['a multi-byte string', 'é', 2],
    ['a number', 12345, 4],
    ['a map', { pk: 'm', n: 1 }, 3 + 2 + 1 + 1 + 1 + 1 + 2],
  ])('%s', (_case, value, size) => {
    expect(itemSize(value)).toBe(size);
  });
});
