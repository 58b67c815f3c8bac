import { DriftInputError } from './errors.ts';

/** How a feature's values are compared: continuous numbers, labels, or labels with two values. */
export type FeatureKind = 'numeric' | 'categorical' | 'binary';

/**
 * Drift methods. Tests (`ks`, `chisquare`, `ztest`) decide on a p-value, the others on a distance:
 * `wasserstein` is the Wasserstein-1 distance normed by the reference standard deviation.
 */
export type DriftMethod =
  | 'ks'
  | 'wasserstein'
  | 'psi'
  | 'jensenshannon'
  | 'hellinger'
  | 'chisquare'
  | 'ztest';

export const DRIFT_METHODS: readonly DriftMethod[] = [
  'ks',
  'wasserstein',
  'psi',
  'jensenshannon',
  'hellinger',
  'chisquare',
  'ztest',
];

/** Methods that make sense for each kind of feature. */
export const METHODS_BY_KIND: Readonly<Record<FeatureKind, readonly DriftMethod[]>> = {
  numeric: ['ks', 'wasserstein', 'psi', 'jensenshannon', 'hellinger'],
  categorical: ['chisquare', 'jensenshannon', 'psi', 'hellinger'],
  binary: ['ztest', 'chisquare', 'jensenshannon', 'psi', 'hellinger'],
};

export type Severity = 'none' | 'moderate' | 'major';

/** When a method's value means drift, and when that drift is major. */
export interface MethodRule {
  /** `p-value`: drift when the value is at or below (or, `strict`, below) the threshold; `distance`: at or above. */
  readonly test: 'p-value' | 'distance';
  /** For p-values, whether drift needs `p < threshold` rather than `p <= threshold` (Evidently's choice per test). */
  readonly strict: boolean;
  /** Drift threshold. */
  readonly threshold: number;
  /** Major-drift threshold (a smaller p-value, or a larger distance). */
  readonly major: number;
}

/**
 * Default thresholds (Evidently's for drift; the major bands are this module's heuristics):
 *
 * | method        | value                  | drift            | major        |
 * | ------------- | ---------------------- | ---------------- | ------------ |
 * | ks            | p-value                | p <= 0.05        | p <= 0.001   |
 * | chisquare     | p-value                | p < 0.05         | p < 0.001    |
 * | ztest         | p-value                | p < 0.05         | p < 0.001    |
 * | wasserstein   | W1 / reference std     | >= 0.1           | >= 0.25      |
 * | psi           | PSI                    | >= 0.1           | >= 0.25      |
 * | jensenshannon | JS distance, base 2    | >= 0.1           | >= 0.2       |
 * | hellinger     | Hellinger distance     | >= 0.1           | >= 0.2       |
 */
export const DEFAULT_RULES: Readonly<Record<DriftMethod, MethodRule>> = {
  ks: { test: 'p-value', strict: false, threshold: 0.05, major: 0.001 },
  chisquare: { test: 'p-value', strict: true, threshold: 0.05, major: 0.001 },
  ztest: { test: 'p-value', strict: true, threshold: 0.05, major: 0.001 },
  wasserstein: { test: 'distance', strict: false, threshold: 0.1, major: 0.25 },
  psi: { test: 'distance', strict: false, threshold: 0.1, major: 0.25 },
  jensenshannon: { test: 'distance', strict: false, threshold: 0.1, major: 0.2 },
  hellinger: { test: 'distance', strict: false, threshold: 0.1, major: 0.2 },
};

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
