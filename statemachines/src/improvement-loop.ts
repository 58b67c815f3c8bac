import { INPUT_ERRORS } from '#contracts/errors.ts';
import { type OtherPlaceholder, SNS_PUBLISH } from '#contracts/workflows.ts';
import type { Outcome } from '#domain/run.ts';
import {
  catchTo,
  choice,
  type Definition,
  EXECUTION,
  fields,
  lambdaTask,
  placeholder,
  type State,
} from './states.ts';

/** Every failure of a step before the deploy is recorded, notified, and ends the run with the champion untouched. */
const FAILURE = [catchTo('RecordFailure')];

/** A Record task: writes the run record with this outcome (`decided`: the decision's own outcome). */
function record(outcome: Outcome | 'decided', next: string, options: { catch?: State[] } = {}): State {
  return lambdaTask('record', {
    parameters: { 'state.$': '$', outcome, execution: EXECUTION },
    resultPath: '$.record',
    ...options,
    next,
  });
}

/** The improvement loop (Standard) for one model. */
export const improvementLoop: Definition = {
  Comment:
    'Kaizen Loop improvement loop for one model: monitor, analyze, optimize, evaluate, deploy, verify, record.',
  StartAt: 'Monitor',
  States: {
    Monitor: lambdaTask('monitor', {
      comment: 'Validate the input; read the policy, champion, KPIs and drift scores for the window.',
      parameters: { 'input.$': '$', execution: EXECUTION },
      resultPath: '$',
      catch: [catchTo('RejectInput', INPUT_ERRORS), ...FAILURE],
      next: 'Analyze',
    }),
    RejectInput: {
      Type: 'Fail',
      Error: 'InvalidInput',
      Cause: "The execution input or model id is invalid; the Monitor step's error names the field.",
    },
    Analyze: lambdaTask('analyze', {
      comment:
        'Apply the policy: rules per window, persistence, cooldown, budget, data quality, lock; decide with reasons.',
      parameters: fields(
        'run',
        'policy',
        'champion',
        'observed',
        'history',
        'bandReference',
        'retrains',
        'lock',
      ),
      resultPath: '$.decision',
      catch: FAILURE,
      next: 'Route',
    }),
    Route: choice(
      [
        {
          And: [
            { Variable: '$.decision.action', StringEquals: 'retrain' },
            { Variable: '$.run.dryRun', BooleanEquals: false },
          ],
          Next: 'Optimize',
        },
        { Variable: '$.decision.action', StringEquals: 'retrain', Next: 'RecordDecision' },
      ],
      'RecordDecision',
    ),
    Optimize: lambdaTask('train', {
      comment: "Retrain on the policy's dataset; register a candidate version with its lineage.",
      parameters: fields('run', 'policy', 'champion'),
      resultPath: '$.candidate',
      catch: FAILURE,
      next: 'Evaluate',
    }),
    Evaluate: lambdaTask('evaluate', {
      comment: 'Score candidate and champion on the same holdout; promote only past the margin.',
      parameters: fields('run', 'policy', 'champion', 'candidate'),
      resultPath: '$.evaluation',
      catch: FAILURE,
      next: 'Gate',
    }),
    Gate: choice(
      [{ Variable: '$.evaluation.promote', BooleanEquals: true, Next: 'Deploy' }],
      'RecordRejected',
    ),
    Deploy: lambdaTask('deploy', {
      comment: 'Move the champion alias to the candidate; keep the previous champion for rollback.',
      parameters: fields('run', 'policy', 'champion', 'candidate'),
      resultPath: '$.deployment',
      // Deploy may fail after its write: an unverified candidate must not keep serving.
      catch: [catchTo('UndoDeploy')],
      next: 'StartVerification',
    }),
    UndoDeploy: lambdaTask('rollback', {
      comment:
        'Deploy failed: if it had moved the alias (the registry says), move it back; then record the failure.',
      parameters: fields('run', 'champion', 'candidate'),
      resultPath: '$.rollback',
      catch: [catchTo('RecordFailure', ['States.ALL'], '$.undoError')],
      next: 'RecordFailure',
    }),
    StartVerification: {
      Type: 'Pass',
      Result: { checks: 0, verdict: 'pending', reasons: [] },
      ResultPath: '$.verification',
      Next: 'Bake',
    },
    Bake: {
      Comment: 'Let the new champion serve before checking the KPIs again.',
      Type: 'Wait',
      SecondsPath: '$.deployment.bakeSeconds',
      Next: 'Verify',
    },
    Verify: lambdaTask('verify', {
      comment: 'Compare post-deploy KPIs with the pre-deploy window.',
      parameters: fields('run', 'policy', 'observed', 'deployment', 'verification'),
      resultPath: '$.verification',
      // A candidate that cannot be verified is rolled back: no data is not a pass.
      catch: [catchTo('Rollback')],
      next: 'VerifyVerdict',
    }),
    VerifyVerdict: choice(
      [
        { Variable: '$.verification.verdict', StringEquals: 'pass', Next: 'RecordPromoted' },
        { Variable: '$.verification.verdict', StringEquals: 'pending', Next: 'Bake' },
      ],
      'Rollback',
    ),
    Rollback: lambdaTask('rollback', {
      comment: 'Move the champion alias back to the previous version.',
      parameters: fields('run', 'deployment', 'verification'),
      resultPath: '$.rollback',
      catch: FAILURE,
      next: 'RecordRolledBack',
    }),
    RecordDecision: record('decided', 'Done'),
    RecordRejected: record('rejected', 'Done'),
    RecordPromoted: record('promoted', 'Done'),
    RecordRolledBack: record('rolled-back', 'Notify'),
    RecordFailure: record('failed', 'Notify', {
      catch: [catchTo('Failed', ['States.ALL'], '$.recordError')],
    }),
    Notify: {
      Comment: 'Tell the owners about failures and rollbacks.',
      Type: 'Task',
      Resource: SNS_PUBLISH,
      Parameters: {
        TopicArn: placeholder('NotificationTopicArn' satisfies OtherPlaceholder),
        'Subject.$': "States.Format('Kaizen Loop: {} {}', $.record.modelId, $.record.outcome)",
        'Message.$': 'States.JsonToString($.record)',
      },
      ResultPath: null,
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      Next: 'AfterNotify',
    },
    AfterNotify: choice([{ Variable: '$.record.outcome', StringEquals: 'failed', Next: 'Failed' }], 'Done'),
    Failed: {
      Type: 'Fail',
      Error: 'ImprovementLoopFailed',
      Cause: 'A step failed; the run record holds the error and the champion was left unchanged.',
    },
    Done: { Type: 'Pass', OutputPath: '$.record', End: true },
  },
};
