/**
 * The states that deploy a promoted candidate where the team serves it (`deployment.target`), after the
 * Deploy step moved the registry's `champion` alias: a SageMaker endpoint (blue/green update, polled until it
 * serves the new config) or a Lambda function behind an alias (a version per model, traffic shifted in
 * `rollout.stages`, each verified before the next). A failure on the way undoes what reached the target; a
 * failed verification returns the target to what it served before.
 */
import {
  LAMBDA_GET_ALIAS,
  LAMBDA_GET_FUNCTION_CONFIGURATION,
  LAMBDA_PUBLISH_VERSION,
  LAMBDA_UPDATE_ALIAS,
  LAMBDA_UPDATE_FUNCTION_CONFIGURATION,
  type OtherPlaceholder,
  SAGEMAKER_CREATE_ENDPOINT,
  SAGEMAKER_CREATE_ENDPOINT_CONFIG,
  SAGEMAKER_CREATE_MODEL,
  SAGEMAKER_DESCRIBE_ENDPOINT,
  SAGEMAKER_UPDATE_ENDPOINT,
} from '#contracts/workflows.ts';
import { catchTo, choice, fields, lambdaTask, placeholder, type State, serviceTask } from './states.ts';

/** Where a failure while deploying to the target goes: undo the registry move and what reached the target. */
const UNDO = [catchTo('UndoDeploy')];

const FUNCTION = { 'FunctionName.$': '$.policy.deployment.functionName' };
const ALIAS = { ...FUNCTION, 'Name.$': '$.policy.deployment.alias' };
const ENDPOINT = { 'EndpointName.$': '$.hosting.endpoint.EndpointName' };

/** Points the team's alias back at the version it served before, with no routing: after an undo or a rollback. */
function restoreAlias(next: string): State {
  return serviceTask(
    LAMBDA_UPDATE_ALIAS,
    {
      ...ALIAS,
      'FunctionVersion.$': '$.lambda.alias.version',
      RoutingConfig: { AdditionalVersionWeights: {} },
    },
    {
      comment: 'Send all traffic back to the version the alias served before.',
      resultPath: null,
      next,
      catch: [catchTo(next, ['States.ALL'], '$.targetUndoError')],
    },
  );
}

/** Returns the endpoint to the config it served before (SageMaker shifts the traffic back). */
function restoreEndpoint(next: string): State {
  return serviceTask(
    SAGEMAKER_UPDATE_ENDPOINT,
    { ...ENDPOINT, 'EndpointConfigName.$': '$.hosting.previous.config' },
    {
      comment: 'Update the endpoint back to the config it served before.',
      resultPath: null,
      next,
      catch: [catchTo(next, ['States.ALL'], '$.targetUndoError')],
    },
  );
}

/** Which target a deploy reached: `$.lambda.alias` or `$.hosting.previous` exist only once it did. */
function targetReached(restoreAliasState: string, restoreEndpointState: string, otherwise: string): State {
  return choice(
    [
      { Variable: '$.lambda.alias.version', IsPresent: true, Next: restoreAliasState },
      { Variable: '$.hosting.previous.config', IsPresent: true, Next: restoreEndpointState },
    ],
    otherwise,
  );
}

/** The states of the deployment targets; `StartVerification`, `UndoDeploy` and the Record states are the loop's. */
export const deploymentTargetStates: Record<string, State> = {
  DeployTarget: choice(
    [
      { Variable: '$.policy.deployment.target', StringEquals: 'sagemaker-endpoint', Next: 'PrepareHosting' },
      { Variable: '$.policy.deployment.target', StringEquals: 'lambda-alias', Next: 'GetFunction' },
    ],
    'StartVerification',
  ),

  // SageMaker endpoint: a Model and an EndpointConfig per version, then a blue/green update (or the first create).
  PrepareHosting: lambdaTask('prepare', {
    comment:
      "Build the candidate's SageMaker Model, EndpointConfig and the endpoint update with the policy's routing.",
    parameters: { phase: 'hosting', ...fields('run', 'policy', 'candidate') },
    resultPath: '$.hosting',
    catch: UNDO,
    next: 'CreateModel',
  }),
  CreateModel: serviceTask(
    SAGEMAKER_CREATE_MODEL,
    {
      'ModelName.$': '$.hosting.model.ModelName',
      'PrimaryContainer.$': '$.hosting.model.PrimaryContainer',
      ExecutionRoleArn: placeholder('SageMakerRoleArn' satisfies OtherPlaceholder),
    },
    { resultPath: null, next: 'CreateEndpointConfig', catch: UNDO },
  ),
  CreateEndpointConfig: serviceTask(
    SAGEMAKER_CREATE_ENDPOINT_CONFIG,
    {
      'EndpointConfigName.$': '$.hosting.config.EndpointConfigName',
      'ProductionVariants.$': '$.hosting.config.ProductionVariants',
    },
    { resultPath: null, next: 'FindEndpoint', catch: UNDO },
  ),
  FindEndpoint: serviceTask(SAGEMAKER_DESCRIBE_ENDPOINT, ENDPOINT, {
    comment: 'The endpoint and the config it serves now (to return to); a missing endpoint is created.',
    resultSelector: { 'config.$': '$.EndpointConfigName' },
    resultPath: '$.hosting.previous',
    next: 'UpdateEndpoint',
    catch: [catchTo('CreateEndpoint', ['States.ALL'], '$.hosting.missing')],
  }),
  UpdateEndpoint: serviceTask(
    SAGEMAKER_UPDATE_ENDPOINT,
    {
      ...ENDPOINT,
      'EndpointConfigName.$': '$.hosting.endpoint.EndpointConfigName',
      'DeploymentConfig.$': '$.hosting.endpoint.DeploymentConfig',
    },
    { resultPath: null, next: 'WaitForEndpoint', catch: UNDO },
  ),
  CreateEndpoint: serviceTask(
    SAGEMAKER_CREATE_ENDPOINT,
    { ...ENDPOINT, 'EndpointConfigName.$': '$.hosting.endpoint.EndpointConfigName' },
    { resultPath: null, next: 'WaitForEndpoint', catch: UNDO },
  ),
  WaitForEndpoint: { Type: 'Wait', SecondsPath: '$.hosting.pollSeconds', Next: 'PollEndpoint' },
  PollEndpoint: serviceTask(SAGEMAKER_DESCRIBE_ENDPOINT, ENDPOINT, {
    resultSelector: { 'status.$': '$.EndpointStatus', 'config.$': '$.EndpointConfigName' },
    resultPath: '$.hosting.now',
    next: 'EndpointReady',
    catch: UNDO,
  }),
  EndpointReady: choice(
    [
      {
        And: [
          { Variable: '$.hosting.now.status', StringEquals: 'InService' },
          { Variable: '$.hosting.now.config', StringEqualsPath: '$.hosting.endpoint.EndpointConfigName' },
        ],
        Next: 'StartVerification',
      },
      // In service on another config: SageMaker rolled the update back (an alarm, a failed health check).
      { Variable: '$.hosting.now.status', StringEquals: 'InService', Next: 'EndpointFailed' },
      { Variable: '$.hosting.now.status', StringEquals: 'Failed', Next: 'EndpointFailed' },
      { Variable: '$.hosting.now.status', StringEquals: 'OutOfService', Next: 'EndpointFailed' },
    ],
    'WaitForEndpoint',
  ),
  EndpointFailed: {
    Type: 'Pass',
    Parameters: {
      Error: 'EndpointUpdateFailed',
      'Cause.$':
        "States.Format('endpoint {} is {} on config {}, not the candidate config {}', $.hosting.endpoint.EndpointName, $.hosting.now.status, $.hosting.now.config, $.hosting.endpoint.EndpointConfigName)",
    },
    ResultPath: '$.error',
    Next: 'UndoDeploy',
  },

  // Lambda alias: the model's key in the function's environment, a new version, then the traffic stages.
  GetFunction: serviceTask(LAMBDA_GET_FUNCTION_CONFIGURATION, FUNCTION, {
    comment: "The team's function as it is (its environment is kept).",
    resultSelector: { 'before.$': '$' },
    resultPath: '$.lambda',
    next: 'GetAlias',
    catch: UNDO,
  }),
  GetAlias: serviceTask(LAMBDA_GET_ALIAS, ALIAS, {
    comment: 'The version the alias serves now (to return to).',
    resultSelector: { 'version.$': '$.FunctionVersion' },
    resultPath: '$.lambda.alias',
    next: 'PlanFunction',
    catch: UNDO,
  }),
  PlanFunction: lambdaTask('prepare', {
    comment: "The function's environment with the candidate's artifact.",
    parameters: { phase: 'lambda', ...fields('run', 'policy', 'candidate', 'lambda') },
    resultPath: '$.lambda.plan',
    catch: UNDO,
    next: 'UpdateFunction',
  }),
  UpdateFunction: serviceTask(
    LAMBDA_UPDATE_FUNCTION_CONFIGURATION,
    { ...FUNCTION, Environment: { 'Variables.$': '$.lambda.plan.variables' } },
    { resultPath: null, next: 'WaitForFunction', catch: UNDO },
  ),
  WaitForFunction: { Type: 'Wait', Seconds: 5, Next: 'PollFunction' },
  PollFunction: serviceTask(LAMBDA_GET_FUNCTION_CONFIGURATION, FUNCTION, {
    resultSelector: { 'status.$': '$.LastUpdateStatus' },
    resultPath: '$.lambda.update',
    next: 'FunctionReady',
    catch: UNDO,
  }),
  FunctionReady: choice(
    [
      { Variable: '$.lambda.update.status', StringEquals: 'Successful', Next: 'PublishVersion' },
      { Variable: '$.lambda.update.status', StringEquals: 'Failed', Next: 'FunctionFailed' },
    ],
    'WaitForFunction',
  ),
  FunctionFailed: {
    Type: 'Pass',
    Parameters: {
      Error: 'FunctionUpdateFailed',
      'Cause.$': "States.Format('the update of {} failed', $.policy.deployment.functionName)",
    },
    ResultPath: '$.error',
    Next: 'UndoDeploy',
  },
  PublishVersion: serviceTask(
    LAMBDA_PUBLISH_VERSION,
    { ...FUNCTION, 'Description.$': '$.lambda.plan.description' },
    {
      resultSelector: { 'version.$': '$.Version' },
      resultPath: '$.lambda.published',
      next: 'StartStages',
      catch: UNDO,
    },
  ),
  StartStages: { Type: 'Pass', Result: { index: -1 }, ResultPath: '$.stage', Next: 'NextStage' },
  NextStage: lambdaTask('prepare', {
    comment: "The alias routing of the next stage: the candidate's share of traffic.",
    parameters: { phase: 'stage', ...fields('policy', 'lambda', 'stage') },
    resultPath: '$.stage',
    catch: UNDO,
    next: 'ShiftTraffic',
  }),
  ShiftTraffic: serviceTask(
    LAMBDA_UPDATE_ALIAS,
    {
      ...ALIAS,
      'FunctionVersion.$': '$.stage.alias.FunctionVersion',
      'RoutingConfig.$': '$.stage.alias.RoutingConfig',
    },
    {
      comment: "Give the candidate this stage's share of the alias's traffic.",
      resultPath: null,
      next: 'StartVerification',
      catch: UNDO,
    },
  ),

  // Undo (a failure while deploying) and rollback (a failed verification) return the target to what it served.
  UndoTarget: targetReached('UndoAlias', 'UndoEndpoint', 'RecordFailure'),
  UndoAlias: restoreAlias('RecordFailure'),
  UndoEndpoint: restoreEndpoint('RecordFailure'),
  RollbackTarget: targetReached('RollbackAlias', 'RollbackEndpoint', 'RecordRolledBack'),
  RollbackAlias: restoreAlias('RecordRolledBack'),
  RollbackEndpoint: restoreEndpoint('RecordRolledBack'),

  // After a passed verification: the next traffic stage, or the promotion is complete.
  MoreStages: choice(
    [
      {
        And: [
          { Variable: '$.stage.last', IsPresent: true },
          { Variable: '$.stage.last', BooleanEquals: false },
        ],
        Next: 'NextStage',
      },
    ],
    'RecordPromoted',
  ),
};
