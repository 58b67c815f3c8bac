import { higherIsBetter, type MetricName } from './metrics.ts';
import type { ModelPolicy } from './policy.ts';

export interface GateResult {
  promote: boolean;
  reasons: string[];
}

/**
 * The champion/challenger gate: both models scored on the same holdout; the candidate is promoted only
 * when it clears the absolute bound (if any) and beats the champion by the policy's margin.
 */
export function gate(
  rule: Pick<ModelPolicy['evaluation'], 'metric' | 'minImprovement' | 'minScore'>,
  candidateScore: number,
  championScore: number | null,
): GateResult {
  const metric: MetricName = rule.metric;
  const better = higherIsBetter(metric);
  if (!Number.isFinite(candidateScore)) {
    return { promote: false, reasons: [`candidate ${metric} is not a finite number (${candidateScore})`] };
  }
  const reasons: string[] = [];
  if (rule.minScore !== undefined) {
    const clears = better ? candidateScore >= rule.minScore : candidateScore <= rule.minScore;
    const bound = better ? 'floor' : 'ceiling';
    reasons.push(
      `candidate ${metric} ${fmt(candidateScore)} ${clears ? 'clears' : 'misses'} the absolute ${bound} ${fmt(rule.minScore)}`,
    );
    if (!clears) return { promote: false, reasons };
  }
  if (championScore === null || !Number.isFinite(championScore)) {
    reasons.push(
      `no champion score to beat: candidate ${metric} ${fmt(candidateScore)} becomes the first champion`,
    );
    return { promote: true, reasons };
  }
  const improvement = better ? candidateScore - championScore : championScore - candidateScore;
  const promote = improvement >= rule.minImprovement;
  reasons.push(
    `candidate ${metric} ${fmt(candidateScore)} vs champion ${fmt(championScore)}: ` +
      `${improvement >= 0 ? 'better' : 'worse'} by ${fmt(Math.abs(improvement))}, ` +
      `${promote ? 'meets' : 'below'} the required margin ${fmt(rule.minImprovement)}`,
  );
  return { promote, reasons };
}

function fmt(value: number): string {
  return value.toFixed(4);
}
