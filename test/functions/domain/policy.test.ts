import { describe, expect, it } from 'vitest';
import { PolicyError } from '#contracts/errors.ts';
import { parseDuration } from '#domain/duration.ts';
import { builtinTraining, parsePolicy } from '#domain/policy.ts';
import { thrownBy } from '../../support/errors.ts';

const valid = {
  modelId: 'churn',
  kpis: [{ metric: 'conversion_rate', floor: 0.02, maxRelativeDrop: 0.1, minCount: 100 }],
  training: { dataset: 'datasets/churn/train.csv', label: 'churned', features: ['age', 'tenure'] },
  evaluation: { holdout: 'datasets/churn/holdout.csv' },
};

const issuesOf = (document: unknown) =>
  thrownBy(PolicyError, () => parsePolicy(document, 'policy.json')).issues;

describe('parsePolicy', () => {
  it('fills defaults for a minimal valid policy', () => {
    const policy = parsePolicy(valid);
    expect(policy.window).toBe('P1D');
    expect(policy.kpis[0]?.direction).toBe('higher');
    expect(policy.evaluation).toMatchObject({ metric: 'auc', minImprovement: 0.005 });
    expect(policy.rollout).toMatchObject({
      bakePeriod: 'PT1H',
      maxChecks: 3,
      maxRelativeDrop: 0.1,
      confidence: 0.95,
      minCount: 1,
      baselineWindows: 28,
    });
    expect(policy.kpis[0]).toMatchObject({
      confidence: 0.95,
      consecutive: 2,
      baseline: { windows: 28, minWindows: 7, seasonality: 'auto' },
      cusum: { threshold: 5, lookback: 28 },
    });
    expect(policy.kpis[0]?.kind).toBeUndefined();
    expect(policy.training).toMatchObject({ backend: 'builtin' });
    expect(builtinTraining(policy).params).toMatchObject({ learningRate: 0.5, epochs: 300, l2: 0.001 });
  });

  it.each([
    ['a bad model id', { ...valid, modelId: 'Churn Model' }, 'modelId:'],
    [
      'floor above ceiling',
      { ...valid, kpis: [{ metric: 'x', floor: 0.5, ceiling: 0.4 }] },
      'kpis[0].floor: floor 0.5 is above ceiling 0.4',
    ],
    [
      'a relative drop of 150%',
      { ...valid, kpis: [{ metric: 'x', maxRelativeDrop: 1.5 }] },
      'kpis[0].maxRelativeDrop:',
    ],
    ['a negative sample minimum', { ...valid, kpis: [{ metric: 'x', minCount: -1 }] }, 'kpis[0].minCount:'],
    [
      'a duplicate KPI',
      { ...valid, kpis: [{ metric: 'x' }, { metric: 'x' }] },
      'kpis[1].metric: duplicate KPI "x"',
    ],
    ['a bad window duration', { ...valid, window: '1 day' }, 'window: must be an ISO-8601 duration'],
    ['a bad bake period', { ...valid, rollout: { bakePeriod: 'P1W' } }, 'rollout.bakePeriod:'],
    [
      'a bake period in fractions of a second (Wait takes whole seconds)',
      { ...valid, rollout: { bakePeriod: 'PT0.5S' } },
      'rollout.bakePeriod: must be a whole number of seconds',
    ],
    [
      'more evidence between steps than a Step Functions state can carry',
      {
        ...valid,
        persistence: { breaches: 1, windows: 100, clearAfter: 100 },
        kpis: Array.from({ length: 40 }, (_, i) => ({ metric: `kpi_${i}`, floor: 0 })),
      },
      'persistence: the loop would carry up to',
    ],
    [
      'a training window without daily objects',
      { ...valid, training: { ...valid.training, window: 'P28D' } },
      'training.window: a window needs daily objects: put {date} in training.dataset',
    ],
    [
      'a holdout window without daily objects',
      { ...valid, evaluation: { ...valid.evaluation, window: 'P1D' } },
      'evaluation.window: a window needs daily objects: put {date} in evaluation.holdout',
    ],
    [
      'a reference needing more windows than it has',
      { ...valid, kpis: [{ metric: 'ctr', baseline: { windows: 5, minWindows: 7 } }] },
      'kpis[0].baseline.minWindows: minWindows 7 is more than windows 5',
    ],
    [
      'a fixed reference period without its end',
      { ...valid, kpis: [{ metric: 'ctr', baseline: { start: '2026-01-01T00:00:00Z' } }] },
      'kpis[0].baseline.end: a fixed reference period needs both start and end',
    ],
    ['an unknown KPI kind', { ...valid, kpis: [{ metric: 'ctr', kind: 'ratio' }] }, 'kpis[0].kind:'],
    ['a CUSUM shift of 100%', { ...valid, kpis: [{ metric: 'ctr', cusum: { shift: 1 } }] }, 'kpis[0].cusum'],
    ['a verification confidence of 100%', { ...valid, rollout: { confidence: 1 } }, 'rollout.confidence:'],
    [
      'a verification longer than a Standard workflow may run',
      { ...valid, rollout: { bakePeriod: 'P100D', maxChecks: 4 } },
      'rollout.bakePeriod: bakePeriod P100D x maxChecks 4 x 1 stages is 400 days',
    ],
    [
      'a label that is also a feature',
      { ...valid, training: { ...valid.training, features: ['churned'] } },
      'training.label:',
    ],
    [
      'a duplicate feature',
      { ...valid, training: { ...valid.training, features: ['a', 'a'] } },
      'training.features[1]: duplicate feature',
    ],
    ['an unknown field', { ...valid, kpi: [] }, 'Unrecognized key'],
    [
      'an unknown gate metric',
      { ...valid, evaluation: { holdout: 'h.csv', metric: 'f1' } },
      'evaluation.metric:',
    ],
    [
      'no rule at all',
      { ...valid, kpis: [] },
      'kpis: a policy needs at least one KPI rule, a drift rule or a monitoring section',
    ],
    ['a missing training section', { ...valid, training: undefined }, 'training:'],
  ])('rejects %s and names the field', (_case, document, expected) => {
    expect(issuesOf(document).join('\n')).toContain(expected);
  });

  it('puts the source name and every issue in the message', () => {
    expect(() => parsePolicy({ ...valid, modelId: '', window: 'x' }, 'policies/churn.json')).toThrow(
      /policies\/churn\.json is invalid:\n {2}modelId: .*\n {2}window: /,
    );
  });
});

describe('parseDuration', () => {
  it.each([
    ['P1D', 86_400],
    ['PT6H', 21_600],
    ['PT30M', 1_800],
    ['PT0.5S', 0.5],
    ['P1DT12H', 129_600],
    ['PT0S', 0],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['P', 'PT', '1D', 'P1W', 'P1M', 'PT-1H', 'P1DT', ''])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('parsePolicy: triggers and safety', () => {
  it('defaults persistence to one window, no cooldown and a budget of 10 retrains a week', () => {
    expect(parsePolicy(valid)).toMatchObject({
      persistence: { breaches: 1, windows: 1, clearAfter: 1 },
      cooldown: 'PT0S',
      budget: { maxRetrains: 10, period: 'P7D' },
    });
  });

  it.each([
    [
      'more breaches than windows',
      { ...valid, persistence: { breaches: 3, windows: 2 } },
      'persistence.breaches: breaches 3 cannot exceed windows 2',
    ],
    [
      'a budget period shorter than the window',
      { ...valid, budget: { maxRetrains: 1, period: 'PT1H' } },
      'budget.period: budget period PT1H is shorter than the window P1D',
    ],
    ['a zero window', { ...valid, window: 'PT0S' }, 'window: must be longer than zero'],
    ['a bad cooldown', { ...valid, cooldown: '2 days' }, 'cooldown: must be an ISO-8601 duration'],
    [
      'a band that needs more windows than it learns from',
      { ...valid, kpis: [{ metric: 'x', band: { referenceWindows: 3, minWindows: 5 } }] },
      'kpis[0].band.minWindows: minWindows 5 is more than referenceWindows 3',
    ],
    [
      'a drift threshold for an unknown feature',
      { ...valid, drift: { features: { agee: 0.2 } } },
      'drift.features.agee: unknown feature "agee"',
    ],
    [
      'a numeric feature with a categorical test',
      {
        ...valid,
        monitoring: {
          reference: 'r.csv',
          current: 'c.csv',
          features: [{ name: 'age', type: 'numeric', method: 'chisquare' }],
        },
      },
      'monitoring.features[0].method: chisquare is not a method for numeric features',
    ],
  ])('rejects %s and names the field', (_case, document, expected) => {
    expect(issuesOf(document).join('\n')).toContain(expected);
  });
});

describe('training backends', () => {
  const sagemaker = {
    backend: 'sagemaker',
    image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
    entryPoint: 'train.py',
    sourceDir: 'code/churn/sourcedir.tar.gz',
    hyperparameters: { n_estimators: 200, label: 'churned' },
    channels: { train: 'datasets/churn/train/{date}.csv' },
    window: 'P28D',
  };
  const byoEvaluation = { holdout: 'datasets/churn/holdout.csv', label: 'churned', entryPoint: 'predict.py' };
  const callback = { backend: 'callback', channels: { train: 'datasets/churn/train.csv' }, timeout: 'PT2H' };

  it('keeps policies without a backend on the built-in trainer', () => {
    expect(parsePolicy(valid).training).toMatchObject({ backend: 'builtin', label: 'churned' });
  });

  it('fills SageMaker defaults', () => {
    const policy = parsePolicy({ ...valid, training: sagemaker, evaluation: byoEvaluation });
    expect(policy.training).toMatchObject({
      backend: 'sagemaker',
      instanceType: 'ml.m5.large',
      instanceCount: 1,
      volumeSizeGb: 30,
      maxRuntime: 'PT2H',
    });
    expect(policy.evaluation).toMatchObject({ maxRuntime: 'PT1H', instanceType: 'ml.m5.large' });
  });

  it('fills callback defaults', () => {
    const policy = parsePolicy({
      ...valid,
      training: { backend: 'callback' },
      evaluation: { ...byoEvaluation, entryPoint: undefined },
    });
    expect(policy.training).toEqual({ backend: 'callback', channels: {}, timeout: 'P1D', parameters: {} });
  });

  it.each([
    [
      'a regression metric on the built-in classifier',
      { ...valid, evaluation: { ...valid.evaluation, metric: 'rmse' } },
      'evaluation.metric: rmse is a regression metric',
    ],
    [
      'a scoring script for the built-in model',
      { ...valid, evaluation: { ...valid.evaluation, entryPoint: 'predict.py' } },
      'evaluation.entryPoint: the built-in model is scored by Kaizen itself',
    ],
    [
      'SageMaker without a scoring script',
      { ...valid, training: sagemaker, evaluation: { holdout: 'h.csv', label: 'y' } },
      'evaluation.entryPoint: required with the sagemaker backend',
    ],
    [
      'SageMaker without the holdout label',
      { ...valid, training: sagemaker, evaluation: { holdout: 'h.csv', entryPoint: 'p.py' } },
      'evaluation.label: required with the sagemaker backend',
    ],
    [
      'a source that is not a tar.gz',
      { ...valid, training: { ...sagemaker, sourceDir: 'code/train.py' }, evaluation: byoEvaluation },
      'training.sourceDir: must be a .tar.gz archive',
    ],
    [
      'an entry point outside the source',
      { ...valid, training: { ...sagemaker, entryPoint: '../train.py' }, evaluation: byoEvaluation },
      'training.entryPoint: must be a relative path',
    ],
    [
      'an entry point of another language',
      { ...valid, training: { ...sagemaker, entryPoint: 'train.R' }, evaluation: byoEvaluation },
      'training.entryPoint:',
    ],
    [
      'no channels',
      { ...valid, training: { ...sagemaker, channels: {} }, evaluation: byoEvaluation },
      'training.channels: needs at least one channel',
    ],
    [
      'a bad channel name',
      { ...valid, training: { ...sagemaker, channels: { 'tr ain': 'a.csv' } }, evaluation: byoEvaluation },
      'training.channels.tr ain:',
    ],
    [
      'a window without daily objects',
      { ...valid, training: { ...sagemaker, channels: { train: 'a.csv' } }, evaluation: byoEvaluation },
      'training.window: a window needs daily objects: put {date} in a channel key',
    ],
    [
      'a fractional runtime',
      { ...valid, training: { ...sagemaker, maxRuntime: 'PT0.5S' }, evaluation: byoEvaluation },
      'training.maxRuntime: must be a whole number of seconds',
    ],
    [
      'a runtime past 28 days',
      { ...valid, training: { ...sagemaker, maxRuntime: 'P29D' }, evaluation: byoEvaluation },
      'training.maxRuntime: must be at most 28 days',
    ],
    ['an unknown backend', { ...valid, training: { backend: 'vertex' } }, 'training.backend:'],
    [
      'built-in fields on SageMaker',
      { ...valid, training: { ...sagemaker, features: ['a'] }, evaluation: byoEvaluation },
      'training:',
    ],
    [
      'a heartbeat as long as the timeout',
      {
        ...valid,
        training: { ...callback, heartbeat: 'PT2H' },
        evaluation: { holdout: 'h.csv', label: 'y' },
      },
      'training.heartbeat: heartbeat PT2H must be shorter than the timeout PT2H',
    ],
    [
      'a one-second callback timeout',
      { ...valid, training: { ...callback, timeout: 'PT1S' }, evaluation: { holdout: 'h.csv', label: 'y' } },
      'training.timeout: must be at least 2 seconds',
    ],
    [
      'a callback scoring script without its image',
      { ...valid, training: callback, evaluation: { ...byoEvaluation, sourceDir: 'code/p.tar.gz' } },
      'evaluation.image: required with evaluation.entryPoint and the callback backend',
    ],
    [
      "the champion's snapshot as a SageMaker model's reference",
      {
        ...valid,
        training: sagemaker,
        evaluation: byoEvaluation,
        monitoring: {
          reference: '@champion',
          current: 'd/{date}.csv',
          features: [{ name: 'a', type: 'numeric' }],
        },
      },
      'monitoring.reference: @champion is the built-in trainer',
    ],
  ])('rejects %s', (_name, document, expected) => {
    expect(issuesOf(document).join('\n')).toContain(expected);
  });

  it('accepts regression metrics for team models', () => {
    const policy = parsePolicy({
      ...valid,
      training: sagemaker,
      evaluation: { ...byoEvaluation, metric: 'rmse' },
    });
    expect(policy.evaluation.metric).toBe('rmse');
  });

  it('refuses the built-in view of a team model', () => {
    const policy = parsePolicy({
      ...valid,
      training: callback,
      evaluation: { holdout: 'h.csv', label: 'y' },
    });
    expect(() => builtinTraining(policy)).toThrow(
      'trains with the callback backend, not the built-in trainer',
    );
  });
});
