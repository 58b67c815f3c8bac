/**
 * Drift methods, one module each, listed once in `DEFINITIONS` below; everything else (`DriftMethod`,
 * `DRIFT_METHODS`, `METHODS_BY_KIND`, `DEFAULT_RULES`, the policy's method enum and fit checks) is derived.
 *
 * To add a drift method: write `methods/<name>.ts` exporting its definition (`name`, `kinds`, default
 * `rule`, and `numeric` / `categorical` reading its value from the scores), then import it here and add it
 * to `DEFINITIONS` (appended, so the order of the published policy schema's enum stays stable). Only a
 * method that needs a raw score not computed yet also touches `numericScores` / `categoricalScores` in
 * `compare.ts`.
 */
import { DriftInputError } from '#contracts/errors.ts';
import { chisquare } from './chisquare.ts';

import { hellinger } from './hellinger.ts';

import { jensenshannon } from './jensenshannon.ts';

import { ks } from './ks.ts';

import { psi } from './psi.ts';

import type { DriftMethodDefinition, FeatureKind, MethodRule, Severity } from './types.ts';
import { wasserstein } from './wasserstein.ts';

import { ztest } from './ztest.ts';

export type { DriftMethodDefinition, FeatureKind, MethodRule, Severity } from './types.ts';

const DEFINITIONS = [
  ks,
  wasserstein,
  psi,
  jensenshannon,
  hellinger,
  chisquare,
  ztest,
] as const satisfies readonly DriftMethodDefinition[];

/**
 * Drift methods. Tests (`ks`, `chisquare`, `ztest`) decide on a p-value, the others on a distance:
 * `wasserstein` is the Wasserstein-1 distance normed by the reference standard deviation.
 */
export type DriftMethod = (typeof DEFINITIONS)[number]['name'];

/** Every method's definition, in `DRIFT_METHODS` order. */
export const DRIFT_METHOD_DEFINITIONS: readonly (DriftMethodDefinition & { readonly name: DriftMethod })[] =
  DEFINITIONS;

// A definition must read a value for every kind it lists; checked once, on load.
for (const definition of DRIFT_METHOD_DEFINITIONS) {
  const numericMissing = definition.kinds.includes('numeric') && definition.numeric === undefined;
  const labelsMissing =
    definition.kinds.some((kind) => kind !== 'numeric') && definition.categorical === undefined;
  if (numericMissing || labelsMissing) {
    throw new Error(
      `drift method "${definition.name}" does not read a value for every kind it lists (${definition.kinds.join(', ')})`,
    );
  }
}

export const DRIFT_METHODS: readonly DriftMethod[] = DRIFT_METHOD_DEFINITIONS.map(({ name }) => name);

function methodsFor(kind: FeatureKind): readonly DriftMethod[] {
  return DRIFT_METHOD_DEFINITIONS.filter(({ kinds }) => kinds.includes(kind)).map(({ name }) => name);
}

/** Methods that make sense for each kind of feature. */
export const METHODS_BY_KIND: Readonly<Record<FeatureKind, readonly DriftMethod[]>> = {
  numeric: methodsFor('numeric'),
  categorical: methodsFor('categorical'),
  binary: methodsFor('binary'),
};

/**
 * Default thresholds per method (Evidently's for drift; the major bands are this module's heuristics), as
 * given by each method's module.
 */
export const DEFAULT_RULES: Readonly<Record<DriftMethod, MethodRule>> = Object.fromEntries(
  DRIFT_METHOD_DEFINITIONS.map(({ name, rule }) => [name, rule]),
) as Record<DriftMethod, MethodRule>;

const BY_NAME: ReadonlyMap<string, DriftMethodDefinition> = new Map(
  DRIFT_METHOD_DEFINITIONS.map((definition) => [definition.name, definition]),
);

/** The definition of `method`; `undefined` only for a name that is no drift method (cast past the type). */
export function methodDefinition(method: DriftMethod): DriftMethodDefinition | undefined {
  return BY_NAME.get(method);
}

/** Reference sizes up to this use a statistical test; larger ones a distance (huge samples make every test significant). */
export const DEFAULT_SMALL_REFERENCE = 1000;

/**
 * Evidently's default method for a feature: with at most `smallReference` (1000) reference rows, a test
 * (numeric: KS, categorical: chi-squared, binary: two-proportion z-test); above it, a distance
 * (numeric: Wasserstein normed by the reference standard deviation; categorical and binary:
 * Jensen-Shannon).
 */
export function chooseMethod(
  kind: FeatureKind,
  referenceSize: number,
  smallReference = DEFAULT_SMALL_REFERENCE,
): DriftMethod {
  const small = referenceSize <= smallReference;
  switch (kind) {
    case 'numeric':
      return small ? 'ks' : 'wasserstein';
    case 'categorical':
      return small ? 'chisquare' : 'jensenshannon';
    case 'binary':
      return small ? 'ztest' : 'jensenshannon';
  }
}

/** Throws {@link DriftInputError} when `method` cannot score a feature of `kind`. */
export function assertMethodFits(method: DriftMethod, kind: FeatureKind): void {
  if (!METHODS_BY_KIND[kind].includes(method)) {
    throw new DriftInputError(
      `method "${method}" does not apply to a ${kind} feature (use one of ${METHODS_BY_KIND[kind].join(', ')})`,
    );
  }
}

/** The default rule of `method` with optional overrides of its drift and major thresholds. */
export function ruleFor(
  method: DriftMethod,
  overrides: { threshold?: number; major?: number } = {},
): MethodRule {
  const base = DEFAULT_RULES[method];
  return {
    ...base,
    threshold: overrides.threshold ?? base.threshold,
    major: overrides.major ?? base.major,
  };
}

function beyond(rule: MethodRule, value: number, limit: number): boolean {
  if (rule.test === 'distance') return value >= limit;
  return rule.strict ? value < limit : value <= limit;
}

/** Whether `value` drifts under `rule`, and how badly: `major` when it also passes the major threshold. */
export function judge(rule: MethodRule, value: number): { drifted: boolean; severity: Severity } {
  if (!beyond(rule, value, rule.threshold)) return { drifted: false, severity: 'none' };
  return { drifted: true, severity: beyond(rule, value, rule.major) ? 'major' : 'moderate' };
}
