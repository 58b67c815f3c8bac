import { readFileSync } from 'node:fs';
import { expect } from 'vitest';

/** A sample generated identically by scripts/fixtures/drift_reference.py (IEEE-exact operations only). */
export interface GeneratorSpec {
  n: number;
  a: number;
  c: number;
  m: number;
  shift: number;
  scale: number;
  f: 'none' | 'sqrt';
}

/** shift + scale * f(((a i + c) mod m) / m) for i = 0..n-1, bit for bit as numpy computes it. */
export function generate(spec: GeneratorSpec): Float64Array {
  const out = new Float64Array(spec.n);
  for (let i = 0; i < spec.n; i++) {
    let u = ((spec.a * i + spec.c) % spec.m) / spec.m;
    if (spec.f === 'sqrt') u = Math.sqrt(u);
    out[i] = spec.shift + spec.scale * u;
  }
  return out;
}

export interface NumericCase {
  name: string;
  reference?: number[];
  current?: number[];
  referenceGenerator?: GeneratorSpec;
  currentGenerator?: GeneratorSpec;
  expected: {
    ks: { statistic: number; pValue: number; method: 'exact' | 'asymptotic' };
    wasserstein: number;
    std: number;
    wassersteinNormed: number;
    edges: number[];
    referenceCounts: number[];
    currentCounts: number[];
    psi: number;
    jensenShannon: number;
    hellinger: number;
  };
}

export interface CategoricalCase {
  name: string;
  reference: Record<string, number>;
  current: Record<string, number>;
  binary: boolean;
  expected: {
    categories: string[];
    unseen: number;
    chiSquared: { statistic: number; pValue: number; df: number };
    jensenShannon: number;
    psi: number;
    hellinger: number;
    zTest?: { statistic: number; pValue: number };
  };
}

export interface SpecialFixture {
  chiSquaredSf: { df: number; x: number; sf: number }[];
  normalTwoSided: { z: number; p: number }[];
  kolmogorovSf: { n: number; d: number; sf: number }[];
  smirnovSf: { n: number; x: number; sf: number }[];
}

function load<T>(name: string): T & { meta: { scipy: string; numpy: string } } {
  return JSON.parse(readFileSync(new URL(`../../../fixtures/drift/${name}`, import.meta.url), 'utf8'));
}

export const specialFixture = load<SpecialFixture>('special.json');
export const numericFixture = load<{ bins: number; psiEpsilon: number; cases: NumericCase[] }>(
  'numeric.json',
);
export const categoricalFixture = load<{ psiEpsilon: number; cases: CategoricalCase[] }>('categorical.json');

/** The reference and current samples of a numeric fixture case. */
export function samples(c: NumericCase): { reference: Float64Array; current: Float64Array } {
  const pick = (values: number[] | undefined, spec: GeneratorSpec | undefined): Float64Array => {
    if (values !== undefined) return Float64Array.from(values);
    if (spec !== undefined) return generate(spec);
    throw new Error(`fixture case "${c.name}" has neither data nor a generator`);
  };
  return { reference: pick(c.reference, c.referenceGenerator), current: pick(c.current, c.currentGenerator) };
}

/** One label per row, from counts per category. */
export function expand(counts: Record<string, number>): string[] {
  return Object.entries(counts).flatMap(([category, count]) => Array<string>(count).fill(category));
}

/** Relative agreement: |actual - expected| <= rel * |expected| + abs. */
export function expectClose(actual: number, expected: number, rel = 1e-9, abs = 0): void {
  const bound = rel * Math.abs(expected) + abs;
  if (!(Math.abs(actual - expected) <= bound)) {
    expect.fail(`expected ${actual} to be within ${bound} of ${expected} (relative ${rel}, absolute ${abs})`);
  }
}
