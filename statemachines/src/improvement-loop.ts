import { INPUT_ERRORS } from '#contracts/errors.ts';
import {
  type OtherPlaceholder,
  SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
  SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
  SNS_PUBLISH,
} from '#contracts/workflows.ts';
import type { Outcome } from '#domain/run.ts';
import { deploymentTargetStates } from './deployment-targets.ts';
import {
  callbackTask,
  catchTo,
  choice,
  type Definition,
  EXECUTION,
  fields,
  jobTask,
  lambdaTask,
  placeholder,
  type State,
} from './states.ts';

/** Every failure of a step before the deploy is recorded, notified, and ends the run with the champion untouched. */
const FAILURE = [catchTo('RecordFailure')];

/** The request fields of CreateTrainingJob that the prepare step builds (the role comes from the app). */
const TRAINING_JOB_FIELDS = [
  'TrainingJobName',
  'AlgorithmSpecification',
  'HyperParameters',
  'InputDataConfig',
  'OutputDataConfig',
  'ResourceConfig',
  'StoppingCondition',
] as const;

/** The request fields of CreateProcessingJob that the prepare step builds. */
const PROCESSING_JOB_FIELDS = [
  'ProcessingJobName',
  'AppSpecification',
  'ProcessingInputs',
  'ProcessingOutputConfig',
  'ProcessingResources',
  'StoppingCondition',
] as const;

const SAGEMAKER_ROLE = { RoleArn: placeholder('SageMakerRoleArn' satisfies OtherPlaceholder) };

/**
 * A Record task: writes the run record with this outcome (`decided`: the decision's own outcome). Its result
 * replaces the state: `{record, notification?}`, the run record and the message the policy asks to publish.
 */
function record(outcome: Outcome | 'decided', options: { catch?: State[] } = {}): State {
  return lambdaTask('record', {
    parameters: { 'state.$': '$', outcome, execution: EXECUTION },
    resultPath: '$',
    ...options,
    next: 'Notification',
  });
}

/** An SNS publish of a notification the steps built (subject, message, and attributes subscribers filter on). */
function publish(path: string, comment: string, next: string, options: { catch?: State[] } = {}): State {
  return {
    Comment: comment,
    Type: 'Task',
    Resource: SNS_PUBLISH,
    Parameters: {
      TopicArn: placeholder('NotificationTopicArn' satisfies OtherPlaceholder),
      'Subject.$': `${path}.subject`,
      'Message.$': `${path}.message`,
      'MessageAttributes.$': `${path}.attributes`,
    },
    ResultPath: null,
    Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
    ...(options.catch ? { Catch: options.catch } : {}),
    Next: next,
  };
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
          Next: 'TrainingBackend',
        },
        { Variable: '$.decision.action', StringEquals: 'retrain', Next: 'RecordDecision' },
      ],
      'RecordDecision',
    ),
    TrainingBackend: choice(
      [
        { Variable: '$.policy.training.backend', StringEquals: 'sagemaker', Next: 'PrepareTraining' },
        { Variable: '$.policy.training.backend', StringEquals: 'callback', Next: 'PrepareTraining' },
      ],
      'Optimize',
    ),
    Optimize: lambdaTask('train', {
      comment:
        "Built-in trainer: retrain on the policy's dataset; register a candidate version with its lineage.",
      parameters: fields('run', 'policy', 'champion'),
      resultPath: '$.candidate',
      catch: FAILURE,
      next: 'ScoringBackend',
    }),
    PrepareTraining: lambdaTask('prepare', {
      comment:
        'Resolve the training data of the window (every object must exist), write channel manifests, and build the SageMaker job or the callback request.',
      parameters: { phase: 'training', ...fields('run', 'policy', 'champion') },
      resultPath: '$.prepared',
      catch: FAILURE,
      next: 'ExternalTraining',
    }),
    ExternalTraining: choice(
      [{ Variable: '$.policy.training.backend', StringEquals: 'callback', Next: 'RequestTraining' }],
      'TrainOnSageMaker',
    ),
    TrainOnSageMaker: jobTask(SAGEMAKER_CREATE_TRAINING_JOB_SYNC, {
      comment: "SageMaker script mode: run the team's entry point; the model lands in the artifacts bucket.",
      requestPath: '$.prepared.job',
      fields: TRAINING_JOB_FIELDS,
      fixed: SAGEMAKER_ROLE,
      resultSelector: {
        'artifact.$': '$.ModelArtifacts.S3ModelArtifacts',
        'jobName.$': '$.TrainingJobName',
        'jobArn.$': '$.TrainingJobArn',
      },
      resultPath: '$.trained',
      catch: FAILURE,
      next: 'RegisterCandidate',
    }),
    RequestTraining: callbackTask('request', {
      comment:
        'Publish a training request with a task token on the event bus; wait for SendTaskSuccess (artifact key, scores) or SendTaskFailure.',
      payload: { 'request.$': '$.prepared.request', 'run.$': '$.run' },
      timeoutSecondsPath: '$.prepared.timeoutSeconds',
      heartbeatSecondsPath: '$.prepared.heartbeatSeconds',
      resultPath: '$.trained',
      catch: FAILURE,
      next: 'RegisterCandidate',
    }),
    RegisterCandidate: lambdaTask('register', {
      comment:
        'Check the trained artifact exists; register a candidate version with its backend and lineage.',
      parameters: fields('run', 'policy', 'champion', 'prepared', 'trained'),
      resultPath: '$.candidate',
      catch: FAILURE,
      next: 'ScoringBackend',
    }),
    ScoringBackend: choice(
      [{ Variable: '$.policy.evaluation.entryPoint', IsPresent: true, Next: 'PrepareScoring' }],
      'Evaluate',
    ),
    PrepareScoring: lambdaTask('prepare', {
      comment:
        "Snapshot the holdout as one file; build a scoring job for each model Kaizen cannot run itself (the team's predict script).",
      parameters: { phase: 'scoring', ...fields('run', 'policy', 'champion', 'candidate') },
      resultPath: '$.scoring',
      catch: FAILURE,
      next: 'ScoreModels',
    }),
    ScoreModels: {
      Comment: 'One SageMaker Processing job per model: predict.py --model-dir --holdout --output.',
      Type: 'Map',
      ItemsPath: '$.scoring.jobs',
      MaxConcurrency: 2,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'ScoreModel',
        States: {
          ScoreModel: jobTask(SAGEMAKER_CREATE_PROCESSING_JOB_SYNC, {
            requestPath: '$.request',
            fields: PROCESSING_JOB_FIELDS,
            fixed: SAGEMAKER_ROLE,
            resultPath: null,
          }),
        },
      },
      ResultPath: null,
      Catch: FAILURE,
      Next: 'Evaluate',
    },
    Evaluate: lambdaTask('evaluate', {
      comment:
        "Score candidate and champion on the same holdout (in-process, or from their scoring jobs or the trainer's answer); promote only past the margin.",
      parameters: fields('run', 'policy', 'champion', 'candidate'),
      resultPath: '$.evaluation',
      catch: FAILURE,
      next: 'Gate',
    }),
    Gate: choice(
      [{ Variable: '$.evaluation.promote', BooleanEquals: true, Next: 'ApprovalGate' }],
      'RecordRejected',
    ),
    ApprovalGate: choice(
      [{ Variable: '$.evaluation.approval', IsPresent: true, Next: 'ApprovalNotice' }],
      'Deploy',
    ),
    ApprovalNotice: choice(
      [{ Variable: '$.evaluation.approval.notification', IsPresent: true, Next: 'NotifyApproval' }],
      'RequestApproval',
    ),
    NotifyApproval: publish(
      '$.evaluation.approval.notification',
      'Tell the owners a promotion waits for them (the evaluate step wrote the message).',
      'RequestApproval',
      { catch: FAILURE },
    ),
    RequestApproval: callbackTask('request', {
      comment:
        'Publish an approval request with a task token; wait for a person (kaizen approve / reject, or SendTaskSuccess).',
      payload: { kind: 'approval', ...fields('run', 'candidate', 'champion', 'evaluation') },
      timeoutSecondsPath: '$.evaluation.approval.timeoutSeconds',
      heartbeatSecondsPath: '$.evaluation.approval.heartbeatSeconds',
      resultPath: '$.approval',
      // No answer in time is a rejection: recorded, the champion stays.
      catch: [catchTo('ApprovalTimedOut', ['States.Timeout'], '$.approvalError'), ...FAILURE],
      next: 'ApprovalVerdict',
    }),
    ApprovalTimedOut: {
      Type: 'Pass',
      Result: { approved: false, timedOut: true },
      ResultPath: '$.approval',
      Next: 'RecordRejected',
    },
    ApprovalVerdict: choice(
      [
        {
          // Guarded: an answer without a boolean `approved` is not an approval (and must not fail the run).
          And: [
            { Variable: '$.approval.approved', IsPresent: true },
            { Variable: '$.approval.approved', IsBoolean: true },
            { Variable: '$.approval.approved', BooleanEquals: true },
          ],
          Next: 'Deploy',
        },
      ],
      'RecordRejected',
    ),
    Deploy: lambdaTask('deploy', {
      comment: 'Move the champion alias to the candidate; keep the previous champion for rollback.',
      parameters: fields('run', 'policy', 'champion', 'candidate'),
      resultPath: '$.deployment',
      // Deploy may fail after its write: an unverified candidate must not keep serving.
      catch: [catchTo('UndoDeploy')],
      next: 'DeployTarget',
    }),
    ...deploymentTargetStates,
    UndoDeploy: lambdaTask('rollback', {
      comment:
        'Deploy failed: if it had moved the alias (the registry says), move it back; then record the failure.',
      parameters: fields('run', 'champion', 'candidate'),
      resultPath: '$.rollback',
      catch: [catchTo('UndoTarget', ['States.ALL'], '$.undoError')],
      next: 'UndoTarget',
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
        { Variable: '$.verification.verdict', StringEquals: 'pass', Next: 'MoreStages' },
        { Variable: '$.verification.verdict', StringEquals: 'pending', Next: 'Bake' },
      ],
      'Rollback',
    ),
    Rollback: lambdaTask('rollback', {
      comment: 'Move the champion alias back to the previous version.',
      parameters: fields('run', 'deployment', 'verification'),
      resultPath: '$.rollback',
      catch: FAILURE,
      next: 'RollbackTarget',
    }),
    RecordDecision: record('decided'),
    RecordRejected: record('rejected'),
    RecordPromoted: record('promoted'),
    RecordRolledBack: record('rolled-back'),
    RecordFailure: record('failed', {
      catch: [catchTo('Failed', ['States.ALL'], '$.recordError')],
    }),
    Notification: choice([{ Variable: '$.notification', IsPresent: true, Next: 'Notify' }], 'AfterNotify'),
    Notify: publish(
      '$.notification',
      "Tell the owners what the policy's notifications ask for (blocked, retrain, promoted, rejected, rollback, failure).",
      'AfterNotify',
    ),
    AfterNotify: choice([{ Variable: '$.record.outcome', StringEquals: 'failed', Next: 'Failed' }], 'Done'),
    Failed: {
      Type: 'Fail',
      Error: 'ImprovementLoopFailed',
      Cause: 'A step failed; the run record holds the error and the champion was left unchanged.',
    },
    Done: { Type: 'Pass', OutputPath: '$.record', End: true },
  },
};
