import type { CategoricalScores, NumericScores } from '../compare.ts';

/** How a feature's values are compared: continuous numbers, labels, or labels with two values. */
export type FeatureKind = 'numeric' | 'categorical' | 'binary';

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
 * One drift method: its name, the kinds of feature it scores, its default rule, and how its value is read
 * from the scores computed for every window (`numeric` for numeric features, `categorical` for categorical
 * and binary ones). A method listing `numeric` in `kinds` must give `numeric`; one listing `categorical`
 * or `binary` must give `categorical`.
 */
export interface DriftMethodDefinition {
  readonly name: string;
  readonly kinds: readonly FeatureKind[];
  /** Default thresholds (Evidently's for drift; the major bands are this module's heuristics). */
  readonly rule: MethodRule;
  readonly numeric?: (scores: NumericScores) => number;
  readonly categorical?: (scores: CategoricalScores) => number;
}
