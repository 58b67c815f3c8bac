import type { DemoDay, DemoResult } from './demo.ts';

const SHORT: Record<string, string> = {
  tenure: 'tenure',
  monthly_charges: 'charges',
  support_calls: 'calls',
};

function loopText(day: DemoDay): string {
  const run = day.run;
  if (!run) return 'loop failed (see above)';
  const candidate = run.candidate;
  const scores = candidate
    ? ` (auc ${candidate.score.toFixed(3)} vs ${candidate.championScore === null ? 'no champion' : candidate.championScore.toFixed(3)})`
    : '';
  switch (run.outcome) {
    case 'no-action':
      return 'healthy, no action';
    case 'promoted':
      return `retrained -> v${candidate?.version}${scores}, deployed, verified: champion v${run.championAfter}`;
    case 'rejected':
      return `retrained -> v${candidate?.version}${scores}, rejected by the gate; v${run.championBefore} stays`;
    case 'rolled-back':
      return `v${candidate?.version} deployed, KPIs worse: rolled back to v${run.championAfter}`;
    default:
      return `${run.outcome}: ${run.summary}`;
  }
}

/** One line per simulated day: who served, the KPI, drift, and what the loop did. */
export function formatDay(day: DemoDay, shiftDay: number): string {
  const lines: string[] = [];
  if (day.day === shiftDay) {
    lines.push(
      '        --- price change: monthly charges up ~25, churn now driven by price, not support calls ---',
    );
  }
  const drift = Object.entries(day.drift)
    .map(([feature, score]) => `${SHORT[feature] ?? feature} ${score.toFixed(2)}`)
    .join(' ');
  const serving = day.servedBy === null ? 'none' : `v${day.servedBy}`;
  lines.push(
    `day ${String(day.day).padStart(2)}  ${day.date}  serving ${serving.padEnd(4)}  ` +
      `precision ${day.precision.toFixed(3)}  psi ${drift}  | ${loopText(day)}`,
  );
  if (day.run && day.run.outcome !== 'no-action') {
    if (day.run.triggers.length > 0) lines.push(`        trigger: ${day.run.triggers.join('; ')}`);
    lines.push(`        result:  ${day.run.summary}`);
  }
  return lines.join('\n');
}

export function formatSummary(result: DemoResult, home: string): string {
  const { phases } = result;
  return [
    '',
    `campaign precision: ${phases.beforeShift.toFixed(3)} before the change, ${phases.degraded.toFixed(3)} after it ` +
      `until the first fix, ${phases.recovered.toFixed(3)} over the last 5 days`,
    `loop outcomes: ${result.promotions} promoted, ${result.rejections} rejected by the gate, ${result.rollbacks} rolled back`,
    result.recovered ? 'the KPI recovered after the loop retrained the model' : 'the KPI did NOT recover',
    `report: ${result.report}   (open it in a browser: KPIs, drift, versions, decisions, ROI)`,
    `explore: KAIZEN_HOME=${home} npx kaizen history --model churn   (or: status, roi --model churn, models list)`,
  ].join('\n');
}
