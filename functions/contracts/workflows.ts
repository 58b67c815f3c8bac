/** The improvement loop definition (Standard workflow), relative to the project root. */
export const IMPROVEMENT_LOOP_ASL = 'statemachines/improvement-loop.asl.json';

/** The fleet sweep definition (Express workflow), relative to the project root. */
export const FLEET_SWEEP_ASL = 'statemachines/fleet-sweep.asl.json';

/** Placeholders of the definitions that are not step functions (each engine supplies its own value). */
export const OTHER_PLACEHOLDERS = ['NotificationTopicArn', 'SageMakerRoleArn'] as const;
export type OtherPlaceholder = (typeof OTHER_PLACEHOLDERS)[number];

/** Task resource of the Step Functions SNS integration (the loop's notifications). */
export const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
/** Task resource of the Step Functions integration that starts another execution (request-response). */
export const STATES_START_EXECUTION = 'arn:aws:states:::states:startExecution';
/** Task resource of the SageMaker training job integration (`.sync`: the result is DescribeTrainingJob's). */
export const SAGEMAKER_CREATE_TRAINING_JOB_SYNC = 'arn:aws:states:::sagemaker:createTrainingJob.sync';
/** Task resource of the SageMaker processing job integration (`.sync`: the result is DescribeProcessingJob's). */
export const SAGEMAKER_CREATE_PROCESSING_JOB_SYNC = 'arn:aws:states:::sagemaker:createProcessingJob.sync';

/** Task resource of the optimised Lambda integration (`{FunctionName, Payload}`). */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/**
 * Task resource of the Lambda integration that waits for a task token: the function is invoked with
 * `$$.Task.Token` in its payload and the task ends when someone calls SendTaskSuccess or SendTaskFailure.
 */
export const LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** Source and detail types of the events Kaizen Loop publishes on its event bus. */
export const EVENT_SOURCE = 'kaizen-loop';
export const TRAINING_REQUESTED = 'Kaizen Training Requested';
export const APPROVAL_REQUESTED = 'Kaizen Approval Requested';

/** SageMaker hosting: the Task resources the `sagemaker-endpoint` deployment target uses (request-response). */
export const SAGEMAKER_CREATE_MODEL = 'arn:aws:states:::sagemaker:createModel';
export const SAGEMAKER_CREATE_ENDPOINT_CONFIG = 'arn:aws:states:::sagemaker:createEndpointConfig';
export const SAGEMAKER_CREATE_ENDPOINT = 'arn:aws:states:::sagemaker:createEndpoint';
export const SAGEMAKER_UPDATE_ENDPOINT = 'arn:aws:states:::sagemaker:updateEndpoint';
export const SAGEMAKER_DESCRIBE_ENDPOINT = 'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint';

/** Lambda: the Task resources the `lambda-alias` deployment target uses (AWS SDK integrations). */
export const LAMBDA_GET_FUNCTION_CONFIGURATION = 'arn:aws:states:::aws-sdk:lambda:getFunctionConfiguration';
export const LAMBDA_UPDATE_FUNCTION_CONFIGURATION =
  'arn:aws:states:::aws-sdk:lambda:updateFunctionConfiguration';
export const LAMBDA_PUBLISH_VERSION = 'arn:aws:states:::aws-sdk:lambda:publishVersion';
export const LAMBDA_GET_ALIAS = 'arn:aws:states:::aws-sdk:lambda:getAlias';
export const LAMBDA_UPDATE_ALIAS = 'arn:aws:states:::aws-sdk:lambda:updateAlias';

/** Detail type of the events producers put on the stack's bus to send observations (one row, or `observations`). */
export const OBSERVATION_EVENT = 'Kaizen Observation';
/** Detail type of the event published when an ingestion path rejected rows (or a whole file). */
export const OBSERVATIONS_REJECTED = 'Kaizen Observations Rejected';

/** The drop folder of the artifacts bucket: objects put under it are ingested, then moved to `done/` or `failed/`. */
export const INGEST_PREFIX = 'ingest/';

/**
 * The folder of window datasets whose arrival S3 announces (a bucket notification to the ingest function): a
 * policy whose `monitoring.current` is a dated key under it is told of each new window dataset, and its checks
 * make no S3 request until one arrives.
 */
export const DATASETS_PREFIX = 'datasets/';
