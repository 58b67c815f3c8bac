import { describe, expect, it } from 'vitest';
import {
  datasetReadBudget,
  datasetReadCost,
  MemoryAdmission,
  RESERVED_MEMORY_MB,
} from '#domain/admission.ts';

const MB = 1024 * 1024;

describe('datasetReadBudget', () => {
  it.each([
    [1769, (1769 - RESERVED_MEMORY_MB) * MB],
    [3008, (3008 - RESERVED_MEMORY_MB) * MB],
    [256, 64 * MB],
  ])('a %i MB function reads datasets within %i bytes', (memoryMb, budget) => {
    expect(datasetReadBudget(memoryMb)).toBe(budget);
  });
});

describe('datasetReadCost', () => {
  it('grows with object size and shrinks with width (fewer rows per byte)', () => {
    const narrow = datasetReadCost(5, [{ bytes: 100 * MB, format: 'csv' }]);
    const wide = datasetReadCost(50, [{ bytes: 100 * MB, format: 'csv' }]);
    const bigger = datasetReadCost(5, [{ bytes: 200 * MB, format: 'csv' }]);
    expect(wide).toBeLessThan(narrow);
    expect(bigger).toBeGreaterThan(narrow);
  });

  it('adds up the datasets, and is 0 without any', () => {
    const one = datasetReadCost(3, [{ bytes: MB, format: 'parquet' }]);
    expect(
      datasetReadCost(3, [
        { bytes: MB, format: 'parquet' },
        { bytes: MB, format: 'parquet' },
      ]),
    ).toBe(2 * one);
    expect(datasetReadCost(3, [])).toBe(0);
  });

  it('admits three 1M x 50 Parquet pairs (two 381 MB objects each) at once in a 1,769 MB function', () => {
    const cost = datasetReadCost(50, [
      { bytes: 381 * MB, format: 'parquet' },
      { bytes: 381 * MB, format: 'parquet' },
    ]);
    // Three such reads at once in a 1,769 MB page, not four.
    expect(Math.floor(datasetReadBudget(1769) / cost)).toBe(3);
  });
});

describe('MemoryAdmission', () => {
  // Each step: try to admit (+cost) or release (-cost); expected: admitted?, bytes in flight after.
  it.each([
    [
      'fits beside others',
      100,
      [
        [+40, true, 40],
        [+50, true, 90],
        [+10, true, 100],
      ],
    ],
    [
      'waits when it would exceed the budget',
      100,
      [
        [+60, true, 60],
        [+50, false, 60],
        [-60, true, 0],
        [+50, true, 50],
      ],
    ],
    [
      'an oversize read runs alone',
      100,
      [
        [+250, true, 250],
        [+1, false, 250],
        [-250, true, 0],
        [+1, true, 1],
      ],
    ],
    [
      'an oversize read waits for the others',
      100,
      [
        [+10, true, 10],
        [+250, false, 10],
        [-10, true, 0],
        [+250, true, 250],
      ],
    ],
  ] as [string, number, [number, boolean, number][]][])('%s', (_case, budget, steps) => {
    const admission = new MemoryAdmission(budget);
    for (const [step, admitted, used] of steps) {
      if (step > 0) expect(admission.tryAdmit(step)).toBe(admitted);
      else admission.release(-step);
      expect(admission.used).toBe(used);
    }
  });
});
