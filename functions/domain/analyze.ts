import { durationSeconds } from './duration.ts';
import { fmt, pct } from './format.ts';
import { judgeKpi, type KpiEvidence, kpiEvidence } from './kpi-evidence.ts';
import type { KpiRule, ModelPolicy } from './policy.ts';
import { driftThreshold } from './policy.ts';
import type { BlockedBy, Champion, Decision, LockState, Observed, Reason } from './run.ts';

/** Relative move of `value` away from `reference` in the KPI's bad direction (0.1 = 10% worse). */
export function relativeWorsening(direction: KpiRule['direction'], reference: number, value: number): number {
  if (reference === 0) return value === reference ? 0 : Number.POSITIVE_INFINITY;
  const change = (value - reference) / Math.abs(reference);
  return direction === 'higher' ? -change : change;
}

/** The rule results of one window: every reason, whether any breached, whether data was insufficient. */
export interface WindowVerdict {
  reasons: Reason[];
  breached: boolean;
  insufficient: boolean;
  /** A KPI window test failed but not yet in enough consecutive windows: watched, not acted on. */
  unconfirmed?: boolean;
}

/** The evidence of a KPI: Monitor's, or (callers without it) a baseline learned from `bandReference`. */
function evidenceFor(
  rule: KpiRule,
  observed: Observed,
  reference: readonly Observed[] | undefined,
  windowSeconds: number,
): KpiEvidence | undefined {
  const given = observed.evidence?.[rule.metric];
  if (given) return given;
  if (!reference || reference.length === 0) return undefined;
  return kpiEvidence(rule, { windowSeconds, reference, lookback: [], served: [], recentWindows: 0 });
}

/**
 * Applies the policy's KPI and drift rules to consecutive windows (oldest first, the current one last). KPI
 * detectors carry state from window to window (CUSUM, consecutive breaches), starting from Monitor's evidence.
 */
export function evaluateWindows(
  policy: ModelPolicy,
  windows: readonly Observed[],
  champion: Champion | null,
  bandReference: readonly Observed[] = [],
): WindowVerdict[] {
  const current = windows[windows.length - 1];
  if (!current) return [];
  const seconds = durationSeconds(policy.window);
  const perWindow = windows.map(() => ({
    reasons: [] as Reason[],
    insufficient: false,
    unconfirmed: false,
  }));
  for (const rule of policy.kpis) {
    const evidence = evidenceFor(rule, current, bandReference, seconds);
    let tracker = evidence?.tracker;
    windows.forEach((observed, index) => {
      const summary = observed.kpis.find((kpi) => kpi.metric === rule.metric);
      const judged = judgeKpi(rule, summary, observed.window, evidence, tracker, champion?.version);
      tracker = judged.tracker;
      const entry = perWindow[index] as (typeof perWindow)[number];
      entry.reasons.push(...judged.reasons);
      entry.insufficient ||= judged.insufficient;
      entry.unconfirmed ||= judged.unconfirmed;
    });
  }
  return windows.map((observed, index) => {
    const entry = perWindow[index] as (typeof perWindow)[number];
    const reasons = [...entry.reasons, ...driftReasons(policy, observed)];
    return {
      reasons,
      breached: reasons.some((reason) => reason.breached),
      insufficient: entry.insufficient,
      unconfirmed: entry.unconfirmed,
    };
  });
}

function driftReasons(policy: ModelPolicy, observed: Observed): Reason[] {
  const reasons: Reason[] = [];
  const { window } = observed;
  const judged = observed.drift.filter((drift) => drift.drifted !== undefined);
  for (const drift of observed.drift) {
    if (drift.drifted !== undefined || !policy.drift) continue;
    // Externally supplied scores: compared with the policy's per-feature ceilings.
    const threshold = driftThreshold(policy.drift, drift.feature);
    const breached = drift.score > threshold;
    reasons.push({
      rule: 'drift-score',
      subject: drift.feature,
      observed: drift.score,
      threshold,
      breached,
      window,
      message: `${drift.feature} drift ${fmt(drift.score)} (${drift.method}) ${breached ? 'exceeds' : 'is within'} ${fmt(threshold)}`,
    });
  }
  if (judged.length > 0) {
    // Drift computed by the engine: the dataset drifts when enough of its features do.
    const maxShare = policy.monitoring?.driftShare ?? policy.drift?.maxShare ?? 0.5;
    const drifted = judged.filter((drift) => drift.drifted);
    const share = drifted.length / judged.length;
    const breached = share >= maxShare;
    const names = drifted.map((drift) => `${drift.feature} ${fmt(drift.score)} (${drift.method})`).join(', ');
    reasons.push({
      rule: 'drift-share',
      observed: share,
      threshold: maxShare,
      breached,
      window,
      message: `${drifted.length} of ${judged.length} features drifted (${pct(share)}; dataset drift at ${pct(maxShare)})${names ? `: ${names}` : ''}`,
    });
  }
  return reasons;
}

/** Applies the policy's KPI and drift rules to one window (its KPI detectors starting from its evidence). */
export function evaluateWindow(
  policy: ModelPolicy,
  observed: Observed,
  champion: Champion | null,
  bandReference: readonly Observed[] = [],
): WindowVerdict {
  return evaluateWindows(policy, [observed], champion, bandReference)[0] as WindowVerdict;
}

export interface AnalyzeInput {
  policy: ModelPolicy;
  /** The logical "now" of the run. */
  asOf: string;
  /** The window ending at `asOf`. */
  observed: Observed;
  /** Earlier windows, oldest first, for persistence. */
  history?: readonly Observed[];
  /**
   * Reference windows for callers without Monitor's evidence (`observed.evidence`): the KPI baselines are learned
   * from them.
   */
  bandReference?: readonly Observed[];
  champion: Champion | null;
  /** Logical times of the retrains inside the budget period. */
  retrains?: readonly string[];
  lock?: LockState;
  force: boolean;
}

/**
 * The decision policy. A window breaches when any rule does; persistence turns breaches into an alert
 * (M of the last N windows) that clears only after K healthy windows; an active alert retrains unless a
 * cooldown, the budget, failed data quality or another run's lock blocks it. Insufficient data is never a
 * breach; `force` skips the rules and blocks, but not the lock.
 */
export function analyze(input: AnalyzeInput): Decision {
  const { policy, observed, champion, force } = input;
  const { breaches: m, windows: n, clearAfter: k } = policy.persistence;
  const reasons: Reason[] = [];

  // Only windows served by the current champion count toward its alert.
  const since = champion ? Date.parse(champion.since) : Number.NEGATIVE_INFINITY;
  const eligible = (input.history ?? []).filter((window) => Date.parse(window.window.start) >= since);
  // The current window's evidence (baseline, detector state before the history) judges every window.
  const verdicts = evaluateWindows(policy, [...eligible, observed], champion, input.bandReference);
  const current = verdicts[verdicts.length - 1] as WindowVerdict;
  let active = false;
  for (let i = 0; i < verdicts.length; i += 1) {
    const recent = verdicts.slice(Math.max(0, i + 1 - n), i + 1);
    const healthyRun = verdicts.slice(Math.max(0, i + 1 - k), i + 1);
    if (!active && recent.filter((v) => v.breached).length >= m) active = true;
    else if (active && healthyRun.length === k && healthyRun.every((v) => !v.breached && !v.insufficient))
      active = false;
  }
  const lastN = verdicts.slice(-n);
  const alert = { active, breachedWindows: lastN.filter((v) => v.breached).length, windows: lastN.length };

  if (force)
    reasons.push({ rule: 'forced', breached: true, message: 'retraining was forced by the execution input' });
  if (!champion)
    reasons.push({
      rule: 'no-champion',
      breached: true,
      message: 'no champion yet: train the first version',
    });
  reasons.push(...current.reasons);
  if (n > 1 || k > 1) {
    reasons.push({
      rule: 'persistence',
      observed: alert.breachedWindows,
      threshold: m,
      breached: active && !current.insufficient,
      message: `${alert.breachedWindows} of the last ${alert.windows} windows breached (alert at ${m} of ${n}, clears after ${k} healthy): alert ${active ? 'active' : 'clear'}`,
    });
  }

  const decide = (action: Decision['action'], summary: string, blockedBy?: BlockedBy): Decision =>
    blockedBy ? { action, reasons, summary, alert, blockedBy } : { action, reasons, summary, alert };

  let wantsRetrain = force || !champion;
  if (!wantsRetrain && champion && Date.parse(observed.window.start) < since) {
    // Judging a new champion on its predecessor's traffic would be meaningless: wait for a full window.
    return decide(
      'none',
      `no decision: the window starts before v${champion.version} began serving (${champion.since})`,
    );
  }
  // KPIs without enough data cannot clear an alert, but they do not silence the rules that have data: a
  // breach of another KPI (or of drift) still decides.
  if (!wantsRetrain && current.insufficient && !current.breached) {
    const missing = current.reasons.filter((r) => r.rule === 'kpi-min-count');
    return decide(
      'none',
      `no decision: insufficient data for ${missing.length} of ${policy.kpis.length} KPIs (${missing.map((r) => r.subject).join(', ')})`,
    );
  }
  wantsRetrain ||= active;

  if (input.lock && !input.lock.acquired) {
    reasons.push({
      rule: 'lock',
      breached: false,
      message:
        `another run holds the model's lock: ${input.lock.owner} until ${input.lock.expiresAt || 'unknown'} ` +
        `(if that run is gone: kaizen unlock --model ${policy.modelId})`,
    });
    return decide('blocked', `blocked: lock held by ${input.lock.owner}`, 'lock');
  }
  if (!wantsRetrain) {
    if (current.breached) {
      const breaches = current.reasons.filter((r) => r.breached).map((r) => r.message);
      return decide(
        'watch',
        `watch: ${breaches.join('; ')} (${alert.breachedWindows} of ${m} breached windows needed)`,
      );
    }
    if (current.unconfirmed) {
      const pending = current.reasons
        .filter((r) => / in a row needed\)$/.test(r.message))
        .map((r) => r.message);
      return decide('watch', `watch: ${pending.join('; ')}`);
    }
    return decide('none', 'healthy: every rule within its threshold');
  }
  const why = reasons.filter((r) => r.breached).map((r) => r.message);
  if (!force) {
    const block = blockFor(input);
    if (block) {
      reasons.push({ ...block.reason, breached: false });
      return decide(
        'blocked',
        `blocked (${block.blockedBy}): ${block.reason.message}; wanted to retrain: ${why.join('; ')}`,
        block.blockedBy,
      );
    }
  }
  return decide('retrain', `retrain: ${why.join('; ')}`);
}

function blockFor(input: AnalyzeInput): { blockedBy: BlockedBy; reason: Reason } | undefined {
  const { policy, champion, observed, asOf } = input;
  if (observed.quality && !observed.quality.passed) {
    const message = `data quality failed: ${observed.quality.failures.join('; ')}`;
    return { blockedBy: 'data-quality', reason: { rule: 'data-quality', breached: false, message } };
  }
  const cooldown = durationSeconds(policy.cooldown) * 1000;
  if (champion && cooldown > 0) {
    const until = Date.parse(champion.since) + cooldown;
    if (Date.parse(asOf) < until) {
      const message = `cooldown: v${champion.version} deployed ${champion.since}, settling until ${new Date(until).toISOString()}`;
      return { blockedBy: 'cooldown', reason: { rule: 'cooldown', breached: false, message } };
    }
  }
  const retrains = input.retrains?.length ?? 0;
  if (retrains >= policy.budget.maxRetrains) {
    const message = `retrain budget used: ${retrains} of ${policy.budget.maxRetrains} per ${policy.budget.period}`;
    return {
      blockedBy: 'budget',
      reason: {
        rule: 'budget',
        observed: retrains,
        threshold: policy.budget.maxRetrains,
        breached: false,
        message,
      },
    };
  }
  return undefined;
}
