import type { ApprovalOutcome } from './approval.ts';
import { runPrefix } from './names.ts';
import type { RunRecord } from './record.ts';
import type { Candidate, DriftSummary, Evaluation, KpiSummary, QualitySummary } from './run.ts';

/** A version as the registry keeps it (the fields a card reads). */
export interface CardVersion extends Candidate {
  modelId: string;
  status: string;
  createdAt: string;
  trainedAsOf: string;
  executionName: string;
}

/** One move of the champion alias (newest first in the registry's log). */
export interface CardAliasChange {
  version: number | null;
  previousVersion: number | null;
  at: string;
  since?: string;
  reason: string;
  executionName: string;
}

/** One deploy of the version and what the KPIs did around it. */
export interface CardDeployment {
  executionName: string;
  deployedAt: string;
  outcome: string;
  kpisBefore: KpiSummary[];
  kpisAfter: KpiSummary[];
  verdict: string[];
}

/** A model card: what the version is for, what it learned from, how it was judged, and how it served. */
export interface ModelCard {
  modelId: string;
  version: number;
  purpose: string;
  backend: string;
  status: string;
  createdAt: string;
  trainedAsOf: string;
  executionName: string;
  artifactKey: string;
  parentVersion: number | null;
  trainingData: Candidate['dataset'];
  parameters: Record<string, unknown>;
  trainingMetrics?: Candidate['trainingMetrics'];
  /** The gate's judgement when the version was trained: both scores on the same holdout. */
  evaluation: Omit<Evaluation, 'promote'> | null;
  /** Drift and data quality of the window that led to the retrain. */
  dataAtTraining: { drift: DriftSummary[]; quality: QualitySummary | null } | null;
  approval: ApprovalOutcome | null;
  /** When the version served: from, to (null: still serving), and why it started and stopped. */
  serving: { from: string; to: string | null; started: string; ended: string | null }[];
  deployments: CardDeployment[];
  generatedAt: string;
}

/**
 * Builds a version's model card from the registry and the run records: its purpose (the policy's
 * description), training data and parameters, the gate's scores against the champion, drift and quality at
 * training time, the approval, and every deploy and rollback with the KPIs before and after.
 */
export function buildModelCard(input: {
  description: string | undefined;
  version: CardVersion;
  runs: readonly RunRecord[];
  aliases: readonly CardAliasChange[];
  now: string;
}): ModelCard {
  const { version, runs } = input;
  const trainedBy = runs.find((run) => run.executionName === version.executionName);
  const deployments = runs
    .filter((run) => run.deployment?.version === version.version)
    .map(
      (run): CardDeployment => ({
        executionName: run.executionName,
        deployedAt: run.deployment?.deployedAt ?? run.finishedAt,
        outcome: run.outcome,
        kpisBefore: run.observed?.kpis ?? [],
        kpisAfter: run.verification?.after ?? [],
        verdict: run.verification?.reasons ?? [],
      }),
    )
    .sort((a, b) => a.deployedAt.localeCompare(b.deployedAt));
  // The alias log, oldest first: each move to this version opens a period, the next move closes it.
  const moves = [...input.aliases].sort((a, b) => a.at.localeCompare(b.at));
  const serving: ModelCard['serving'] = [];
  for (const move of moves) {
    const open = serving.at(-1);
    if (open && open.to === null && move.version !== version.version) {
      open.to = move.since ?? move.at;
      open.ended = move.reason;
    }
    if (move.version === version.version && (!open || open.to !== null)) {
      serving.push({ from: move.since ?? move.at, to: null, started: move.reason, ended: null });
    }
  }
  const { promote: _promote, ...evaluation } = trainedBy?.evaluation ?? ({} as Evaluation);
  return {
    modelId: version.modelId,
    version: version.version,
    purpose: input.description ?? '(the policy has no description)',
    backend: version.backend ?? 'builtin',
    status: version.status,
    createdAt: version.createdAt,
    trainedAsOf: version.trainedAsOf,
    executionName: version.executionName,
    artifactKey: version.artifactKey,
    parentVersion: version.parentVersion,
    trainingData: version.dataset,
    parameters: version.hyperparameters ?? version.params ?? {},
    ...(version.trainingMetrics ? { trainingMetrics: version.trainingMetrics } : {}),
    evaluation: trainedBy?.evaluation ? evaluation : null,
    dataAtTraining: trainedBy?.observed
      ? { drift: trainedBy.observed.drift, quality: trainedBy.observed.quality ?? null }
      : null,
    approval: trainedBy?.approval ?? null,
    serving,
    deployments,
    generatedAt: input.now,
  };
}

const fixed = (value: number | null | undefined) =>
  value === null || value === undefined ? '-' : value.toFixed(4);

function kpiLine(kpis: KpiSummary[]): string {
  return kpis.length === 0
    ? 'no data'
    : kpis.map((k) => `${k.metric} ${fixed(k.value)} (n=${k.count})`).join(', ');
}

/** The card as Markdown, for people (`kaizen card`, the `.md` beside the artifact). */
export function renderModelCard(card: ModelCard): string {
  const data = card.trainingData;
  const lines = [
    `# Model card: ${card.modelId} v${card.version}`,
    '',
    card.purpose,
    '',
    '| | |',
    '|---|---|',
    `| status | ${card.status} |`,
    `| backend | ${card.backend} |`,
    `| trained as of | ${card.trainedAsOf} (run ${card.executionName}) |`,
    `| parent | ${card.parentVersion === null ? 'none' : `v${card.parentVersion}`} |`,
    `| artifact | \`${card.artifactKey}\` |`,
    '',
    '## Training data',
    '',
    `- key: \`${data.key}\`${data.rows === undefined ? '' : `, ${data.rows} rows`}`,
    `- SHA-256: \`${data.sha256}\`${data.sameAsChampion ? " (the champion's data exactly)" : ''}`,
    ...(data.keys ? [`- objects: ${data.keys.map((key) => `\`${key}\``).join(', ')}`] : []),
    ...Object.entries(data.channels ?? {}).map(
      ([name, keys]) => `- channel \`${name}\`: ${keys.map((key) => `\`${key}\``).join(', ')}`,
    ),
    ...(data.snapshotKey ? [`- snapshot: \`${data.snapshotKey}\``] : []),
    '',
    '## Parameters',
    '',
    ...(Object.keys(card.parameters).length === 0
      ? ['none recorded']
      : Object.entries(card.parameters).map(([name, value]) => `- ${name}: ${JSON.stringify(value)}`)),
    '',
    '## Evaluation at training',
    '',
    ...(card.evaluation
      ? [
          `- ${card.evaluation.metric}: candidate ${fixed(card.evaluation.candidateScore)}, champion ${fixed(card.evaluation.championScore)}`,
          `- holdout: \`${card.evaluation.holdout.key}\`, ${card.evaluation.holdout.rows} rows, SHA-256 \`${card.evaluation.holdout.sha256}\``,
          ...card.evaluation.reasons.map((reason) => `- ${reason}`),
        ]
      : ['not evaluated (its run ended before the gate)']),
    '',
    '## Data at training time',
    '',
    ...(card.dataAtTraining
      ? [
          ...(card.dataAtTraining.drift.length === 0
            ? ['- drift: no scores in the window']
            : card.dataAtTraining.drift.map(
                (d) =>
                  `- drift of ${d.feature} (${d.method}): ${fixed(d.score)}${d.drifted ? ' (drifted)' : ''}`,
              )),
          card.dataAtTraining.quality
            ? `- data quality: ${card.dataAtTraining.quality.passed ? 'passed' : `failed: ${card.dataAtTraining.quality.failures.join('; ')}`} (${card.dataAtTraining.quality.rows} rows)`
            : '- data quality: not computed',
        ]
      : ['unknown (no run record of its training)']),
    '',
    '## Approval',
    '',
    !card.approval
      ? 'not required'
      : 'timedOut' in card.approval
        ? 'requested; nobody answered in time (rejected)'
        : `${card.approval.approved ? 'approved' : 'rejected'} by ${card.approval.by}${card.approval.at ? ` at ${card.approval.at}` : ''}${card.approval.comment ? `: ${card.approval.comment}` : ''}`,
    '',
    '## Deployments',
    '',
    ...(card.deployments.length === 0
      ? ['never deployed']
      : card.deployments.flatMap((d) => [
          `- ${d.deployedAt} (${d.executionName}): ${d.outcome}`,
          `  - before: ${kpiLine(d.kpisBefore)}`,
          `  - after: ${kpiLine(d.kpisAfter)}`,
          ...d.verdict.map((reason) => `  - ${reason}`),
        ])),
    '',
    '## Serving',
    '',
    ...(card.serving.length === 0
      ? ['never served']
      : card.serving.map(
          (s) => `- from ${s.from} (${s.started}) to ${s.to === null ? 'now' : `${s.to} (${s.ended})`}`,
        )),
    '',
    `_Generated ${card.generatedAt} by Kaizen Loop._`,
    '',
  ];
  return lines.join('\n');
}

/** Where a version's card is kept: in the folder of the run that trained it, beside its artifact. */
export function cardKeys(modelId: string, executionName: string): { json: string; markdown: string } {
  const prefix = `${runPrefix({ modelId, executionName })}/model-card`;
  return { json: `${prefix}.json`, markdown: `${prefix}.md` };
}
