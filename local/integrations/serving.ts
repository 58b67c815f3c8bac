/**
 * The local stand-ins of the services a promoted model is served by: SageMaker hosting (models, endpoint
 * configurations, real-time endpoints) and Lambda versions and aliases. They run the Task resources of the
 * `sagemaker-endpoint` and `lambda-alias` deployment targets and answer as the services do through Step
 * Functions; nothing is served locally, only the control plane is modelled.
 *
 * - SageMaker (`sagemaker:createModel`, `createEndpointConfig`, `createEndpoint`, `updateEndpoint`: optimized
 *   request-response integrations; `sagemaker:describeEndpoint`: an AWS SDK integration). Names are unique
 *   (case-insensitively, as their ARNs are lower case); a configuration names existing models, an endpoint an
 *   existing configuration. Each status in progress is answered by one DescribeEndpoint and the next one sees
 *   what follows it: after CreateEndpoint, `Creating` then `InService`; after UpdateEndpoint, `Updating` (the old
 *   `EndpointConfigName` serving, the new one in `PendingDeploymentSummary`) then `InService` on the new
 *   configuration. Updating an endpoint whose creation or update is in progress is refused, as SageMaker refuses
 *   it. Test hook: when the first production variant of the configuration being deployed runs a model whose
 *   `PrimaryContainer.Environment.KAIZEN_LOCAL_FAIL_DEPLOY` is `'true'`, the deployment fails: a creation goes
 *   `Creating`, then `Failed` for good; an update goes `Updating`, then `Failed` with a `FailureReason`, then
 *   `InService` again on the old configuration with the `FailureReason` kept (SageMaker rolls a failed update back
 *   and keeps serving the old configuration; an UpdateEndpoint once `Failed` was answered is taken, as on the
 *   rolled-back endpoint).
 * - Lambda (`lambda:getFunctionConfiguration`, `updateFunctionConfiguration`, `publishVersion`, `getAlias`,
 *   `updateAlias`: AWS SDK integrations). UpdateFunctionConfiguration replaces the whole environment and answers
 *   `LastUpdateStatus: 'InProgress'`; the next GetFunctionConfiguration of `$LATEST` answers `'Successful'`.
 *   Until then another update or a PublishVersion is refused (`Lambda.ResourceConflictException`), as Lambda
 *   refuses it. PublishVersion publishes a new number only when `$LATEST` changed since the last published
 *   version, and otherwise answers that version unchanged. `Environment` is left out of a configuration with no
 *   variables, as Lambda leaves it out.
 * - The team's inference function does not exist locally: the first call naming an unknown function creates its
 *   stand-in (`$LATEST` with no environment variables and version `1` published from it), and the first alias
 *   call (GetAlias or UpdateAlias) on a stand-in creates the alias it names, pointing at version `1`, before
 *   answering. Each creation is recorded in the call's line of `serving-calls.jsonl` (`note`).
 *
 * State lives in the home folder, one account: `<home>/sagemaker/hosting.json` and `<home>/lambda/functions.json`
 * (each written whole, to a temporary file renamed over it), and every call is appended to
 * `<home>/serving-calls.jsonl` (`{at, state, target, input, output | error, note?}`), in the order the calls ran (calls of
 * one integration run one at a time).
 *
 * Error names, as Step Functions names them: an optimized SageMaker integration surfaces SageMaker's
 * `ValidationException` (not a modelled error of the API) as `SageMaker.AmazonSageMakerException`, the AWS SDK
 * integration as `SageMaker.SageMakerException` (the SDK's base exception); Lambda's are modelled:
 * `Lambda.ResourceNotFoundException`, `Lambda.ResourceConflictException`, `Lambda.InvalidParameterValueException`,
 * `Lambda.PreconditionFailedException`. The error's cause is the service's message followed by the SDK's
 * `(Service: ..., Status Code: ..., Request ID: ...)`.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  LAMBDA_GET_ALIAS,
  LAMBDA_GET_FUNCTION_CONFIGURATION,
  LAMBDA_PUBLISH_VERSION,
  LAMBDA_UPDATE_ALIAS,
  LAMBDA_UPDATE_FUNCTION_CONFIGURATION,
  SAGEMAKER_CREATE_ENDPOINT,
  SAGEMAKER_CREATE_ENDPOINT_CONFIG,
  SAGEMAKER_CREATE_MODEL,
  SAGEMAKER_DESCRIBE_ENDPOINT,
  SAGEMAKER_UPDATE_ENDPOINT,
} from '#contracts/workflows.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../lambda-context.ts';
import type { LocalIntegration } from './types.ts';

/** Target names of the Task resources, by resource. */
export const SERVING_TARGETS = {
  [SAGEMAKER_CREATE_MODEL]: 'sagemaker:createModel',
  [SAGEMAKER_CREATE_ENDPOINT_CONFIG]: 'sagemaker:createEndpointConfig',
  [SAGEMAKER_CREATE_ENDPOINT]: 'sagemaker:createEndpoint',
  [SAGEMAKER_UPDATE_ENDPOINT]: 'sagemaker:updateEndpoint',
  [SAGEMAKER_DESCRIBE_ENDPOINT]: 'sagemaker:describeEndpoint',
  [LAMBDA_GET_FUNCTION_CONFIGURATION]: 'lambda:getFunctionConfiguration',
  [LAMBDA_UPDATE_FUNCTION_CONFIGURATION]: 'lambda:updateFunctionConfiguration',
  [LAMBDA_PUBLISH_VERSION]: 'lambda:publishVersion',
  [LAMBDA_GET_ALIAS]: 'lambda:getAlias',
  [LAMBDA_UPDATE_ALIAS]: 'lambda:updateAlias',
} as const;
export type ServingTarget = (typeof SERVING_TARGETS)[keyof typeof SERVING_TARGETS];

/** Files of the home folder. */
export const SERVING_CALLS_FILE = 'serving-calls.jsonl';
export const HOSTING_FILE = join('sagemaker', 'hosting.json');
export const FUNCTIONS_FILE = join('lambda', 'functions.json');

/** What a SageMaker `ValidationException` is named through an optimized integration (`sagemaker:createModel`, ...). */
export const SAGEMAKER_ERROR = 'SageMaker.AmazonSageMakerException';
/** What it is named through the AWS SDK integration (`aws-sdk:sagemaker:describeEndpoint`). */
export const SAGEMAKER_SDK_ERROR = 'SageMaker.SageMakerException';
/** The model environment variable that makes a deployment of its endpoint configuration fail locally. */
export const FAIL_DEPLOY_VARIABLE = 'KAIZEN_LOCAL_FAIL_DEPLOY';

export interface ServingIntegrationOptions {
  /** Folder of the local stack: state in `sagemaker/hosting.json` and `lambda/functions.json`, calls in `serving-calls.jsonl`. */
  home: string;
  /** Creation and modification times. @default the wall clock */
  clock?: () => Date;
}

/** One line of `serving-calls.jsonl`. */
export interface ServingCall {
  at: string;
  state: string;
  target: ServingTarget;
  /** The Task's effective input: the API request. */
  input: unknown;
  /** The API response. */
  output?: unknown;
  error?: { name: string; message: string };
  note?: string;
}

// ---------------------------------------------------------------- errors

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** SageMaker's ValidationException, named as the integration that called it names it. */
function sagemakerError(sdk: boolean, message: string): Error {
  const requestId = randomUUID();
  return sdk
    ? namedError(
        SAGEMAKER_SDK_ERROR,
        `${message} (Service: SageMaker, Status Code: 400, Request ID: ${requestId})`,
      )
    : namedError(
        SAGEMAKER_ERROR,
        `${message} (Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: ${requestId}; Proxy: null)`,
      );
}

const LAMBDA_STATUS = {
  InvalidParameterValueException: 400,
  ResourceNotFoundException: 404,
  ResourceConflictException: 409,
  PreconditionFailedException: 412,
} as const;

function lambdaError(code: keyof typeof LAMBDA_STATUS, message: string): Error {
  return namedError(
    `Lambda.${code}`,
    `${message} (Service: Lambda, Status Code: ${LAMBDA_STATUS[code]}, Request ID: ${randomUUID()})`,
  );
}

/** A request field Lambda refuses, named. */
function invalidLambda(field: string, problem: string): Error {
  return lambdaError('InvalidParameterValueException', `${field}: ${problem}`);
}

// ---------------------------------------------------------------- validation helpers

type Refuse = (field: string, problem: string) => Error;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function request(input: unknown, refuse: Refuse): Record<string, unknown> {
  if (!isRecord(input)) throw refuse('request', 'must be an object');
  return input;
}

function requiredString(value: unknown, field: string, refuse: Refuse): string {
  if (typeof value !== 'string' || value === '') throw refuse(field, 'is required');
  return value;
}

function optionalString(value: unknown, field: string, refuse: Refuse, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw refuse(field, 'must be a string');
  if (value.length > max) throw refuse(field, `is longer than ${max} characters`);
  return value;
}

function matching(value: unknown, field: string, pattern: RegExp, refuse: Refuse, what: string): string {
  const text = requiredString(value, field, refuse);
  if (!pattern.test(text))
    throw refuse(field, `${JSON.stringify(text)} does not match ${pattern.source} (${what})`);
  return text;
}

function integer(value: unknown, field: string, min: number, max: number, refuse: Refuse): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw refuse(field, `must be an integer from ${min} to ${max}`);
  return value;
}

function stringMap(
  value: unknown,
  field: string,
  refuse: Refuse,
  limits: { entries: number; key: RegExp; keyLength: number; valueLength: number },
): Record<string, string> {
  if (!isRecord(value)) throw refuse(field, 'must be a map of strings');
  const entries = Object.entries(value);
  if (entries.length > limits.entries)
    throw refuse(field, `has ${entries.length} entries; at most ${limits.entries}`);
  for (const [key, entry] of entries) {
    if (key.length > limits.keyLength || !limits.key.test(key))
      throw refuse(field, `key ${JSON.stringify(key)} does not match ${limits.key.source}`);
    if (typeof entry !== 'string')
      throw refuse(`${field}.${key}`, `must be a string (got ${JSON.stringify(entry)})`);
    if (entry.length > limits.valueLength)
      throw refuse(`${field}.${key}`, `is longer than ${limits.valueLength} characters`);
  }
  return { ...(value as Record<string, string>) };
}

/** Same keys and values, whatever their order. */
function sameMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = Object.entries(a ?? {}).sort(([x], [y]) => x.localeCompare(y));
  const right = Object.entries(b ?? {}).sort(([x], [y]) => x.localeCompare(y));
  return JSON.stringify(left) === JSON.stringify(right);
}

// ---------------------------------------------------------------- state files

async function readState<T>(path: string, empty: () => T): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return empty();
    throw error;
  }
}

/** Writes the whole file to a temporary file beside it, then renames it over the old one. */
async function writeState(path: string, state: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(partial, `${JSON.stringify(state, null, 2)}\n`);
  await rename(partial, path);
}

// ---------------------------------------------------------------- SageMaker hosting

/** SageMaker's pattern for model, endpoint configuration, endpoint and variant names. */
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const NAME_RULE = 'letters, digits and hyphens, at most 63';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const MODEL_DATA_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
const INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9]+$/;
const ROUTING_TYPES = ['ALL_AT_ONCE', 'CANARY', 'LINEAR'];
const CAPACITY_TYPES = ['INSTANCE_COUNT', 'CAPACITY_PERCENT'];

interface ModelRecord {
  ModelName: string;
  ModelArn: string;
  PrimaryContainer: { Image: string; ModelDataUrl?: string; Environment?: Record<string, string> };
  ExecutionRoleArn: string;
  CreationTime: string;
  /** The rest of the request, kept as given. */
  other?: Record<string, unknown>;
}

interface VariantRecord {
  VariantName: string;
  ModelName: string;
  InitialInstanceCount?: number;
  InstanceType?: string;
  InitialVariantWeight: number;
  ServerlessConfig?: Record<string, unknown>;
}

interface EndpointConfigRecord {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: VariantRecord[];
  CreationTime: string;
  other?: Record<string, unknown>;
}

type EndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Failed';

interface EndpointRecord {
  EndpointName: string;
  EndpointArn: string;
  /** The configuration serving (during a creation, the one being deployed). */
  EndpointConfigName: string;
  EndpointStatus: EndpointStatus;
  FailureReason?: string;
  CreationTime: string;
  LastModifiedTime: string;
  /** The deployment in progress (creation or update). */
  pending?: {
    EndpointConfigName: string;
    StartTime: string;
    DeploymentConfig?: unknown;
    /** Why it will fail (the `KAIZEN_LOCAL_FAIL_DEPLOY` hook), if it will. */
    failure?: string;
    /** A DescribeEndpoint has answered the status in progress: the next one sees the deployment done. */
    seen?: boolean;
  };
  /** A failed update: the next DescribeEndpoint answers `InService` on the old configuration. */
  rollingBack?: boolean;
  /** The configuration served before the last successful update (not part of SageMaker's answers). */
  previousConfigName?: string;
  /** Every configuration deployed, in order, with how it ended (not part of SageMaker's answers). */
  deployments: { EndpointConfigName: string; StartTime: string; outcome?: 'InService' | 'Failed' }[];
}

interface HostingState {
  models: Record<string, ModelRecord>;
  endpointConfigs: Record<string, EndpointConfigRecord>;
  endpoints: Record<string, EndpointRecord>;
}

function sagemakerArn(kind: 'model' | 'endpoint-config' | 'endpoint', name: string): string {
  return `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${kind}/${name.toLowerCase()}`;
}

const key = (name: string) => name.toLowerCase();

/** Drops the fields handled explicitly and keeps the rest of a request. */
function rest(input: Record<string, unknown>, handled: string[]): Record<string, unknown> | undefined {
  const others = Object.fromEntries(Object.entries(input).filter(([field]) => !handled.includes(field)));
  return Object.keys(others).length > 0 ? others : undefined;
}

function validateDeploymentConfig(value: unknown, refuse: Refuse): void {
  if (value === undefined) return;
  if (!isRecord(value)) throw refuse('DeploymentConfig', 'must be an object');
  const blueGreen = value.BlueGreenUpdatePolicy;
  if (blueGreen !== undefined) {
    const at = 'DeploymentConfig.BlueGreenUpdatePolicy';
    if (!isRecord(blueGreen)) throw refuse(at, 'must be an object');
    const routing = blueGreen.TrafficRoutingConfiguration;
    if (!isRecord(routing)) throw refuse(`${at}.TrafficRoutingConfiguration`, 'is required');
    const type = routing.Type;
    if (typeof type !== 'string' || !ROUTING_TYPES.includes(type))
      throw refuse(`${at}.TrafficRoutingConfiguration.Type`, `must be one of ${ROUTING_TYPES.join(', ')}`);
    integer(
      routing.WaitIntervalInSeconds,
      `${at}.TrafficRoutingConfiguration.WaitIntervalInSeconds`,
      0,
      3600,
      refuse,
    );
    const size = (field: 'CanarySize' | 'LinearStepSize', required: boolean) => {
      const path = `${at}.TrafficRoutingConfiguration.${field}`;
      const capacity = routing[field];
      if (capacity === undefined) {
        if (required) throw refuse(path, `is required with Type ${type}`);
        return;
      }
      if (!required)
        throw refuse(path, `is only given with Type ${field === 'CanarySize' ? 'CANARY' : 'LINEAR'}`);
      if (!isRecord(capacity)) throw refuse(path, 'must be an object');
      if (typeof capacity.Type !== 'string' || !CAPACITY_TYPES.includes(capacity.Type))
        throw refuse(`${path}.Type`, `must be one of ${CAPACITY_TYPES.join(', ')}`);
      integer(
        capacity.Value,
        `${path}.Value`,
        1,
        capacity.Type === 'CAPACITY_PERCENT' ? 100 : 10_000,
        refuse,
      );
    };
    size('CanarySize', type === 'CANARY');
    size('LinearStepSize', type === 'LINEAR');
    if (blueGreen.TerminationWaitInSeconds !== undefined)
      integer(blueGreen.TerminationWaitInSeconds, `${at}.TerminationWaitInSeconds`, 0, 3600, refuse);
    if (blueGreen.MaximumExecutionTimeoutInSeconds !== undefined)
      integer(
        blueGreen.MaximumExecutionTimeoutInSeconds,
        `${at}.MaximumExecutionTimeoutInSeconds`,
        600,
        28_800,
        refuse,
      );
  }
  const rollback = value.AutoRollbackConfiguration;
  if (rollback !== undefined) {
    const at = 'DeploymentConfig.AutoRollbackConfiguration.Alarms';
    if (!isRecord(rollback) || !Array.isArray(rollback.Alarms) || rollback.Alarms.length === 0)
      throw refuse(at, 'must list 1 to 10 alarms');
    if (rollback.Alarms.length > 10) throw refuse(at, `has ${rollback.Alarms.length} alarms; at most 10`);
    rollback.Alarms.forEach((alarm, index) => {
      requiredString(isRecord(alarm) ? alarm.AlarmName : undefined, `${at}[${index}].AlarmName`, refuse);
    });
  }
}

function sagemakerHosting(clock: () => Date) {
  const refuse: Refuse = (field, problem) => sagemakerError(false, `${field}: ${problem}`);
  const refuseSdk: Refuse = (field, problem) => sagemakerError(true, `${field}: ${problem}`);

  /** Why deploying this configuration fails (the test hook), or undefined. */
  const failure = (state: HostingState, config: EndpointConfigRecord): string | undefined => {
    const variant = config.ProductionVariants[0];
    const model = variant && state.models[key(variant.ModelName)];
    if (model?.PrimaryContainer.Environment?.[FAIL_DEPLOY_VARIABLE] !== 'true') return undefined;
    return `The primary container for production variant ${variant?.VariantName} did not pass the ping health check (${FAIL_DEPLOY_VARIABLE} is 'true' in model ${model.ModelName}).`;
  };

  const existingConfig = (state: HostingState, name: string, sdk = false) => {
    const config = state.endpointConfigs[key(name)];
    if (!config)
      throw sagemakerError(
        sdk,
        `Could not find endpoint configuration "${sagemakerArn('endpoint-config', name)}".`,
      );
    return config;
  };

  const describe = (endpoint: EndpointRecord, state: HostingState) => {
    const summary = (variant: VariantRecord) =>
      variant.ServerlessConfig
        ? {
            VariantName: variant.VariantName,
            CurrentWeight: variant.InitialVariantWeight,
            DesiredWeight: variant.InitialVariantWeight,
            CurrentServerlessConfig: variant.ServerlessConfig,
            DesiredServerlessConfig: variant.ServerlessConfig,
          }
        : {
            VariantName: variant.VariantName,
            CurrentWeight: variant.InitialVariantWeight,
            DesiredWeight: variant.InitialVariantWeight,
            CurrentInstanceCount: variant.InitialInstanceCount,
            DesiredInstanceCount: variant.InitialInstanceCount,
          };
    const serving =
      endpoint.EndpointStatus !== 'Creating' &&
      !(endpoint.EndpointStatus === 'Failed' && !endpoint.rollingBack);
    const config = state.endpointConfigs[key(endpoint.EndpointConfigName)];
    const pending = endpoint.pending && state.endpointConfigs[key(endpoint.pending.EndpointConfigName)];
    return {
      EndpointName: endpoint.EndpointName,
      EndpointArn: endpoint.EndpointArn,
      EndpointConfigName: endpoint.EndpointConfigName,
      ...(serving && config ? { ProductionVariants: config.ProductionVariants.map(summary) } : {}),
      EndpointStatus: endpoint.EndpointStatus,
      ...(endpoint.FailureReason ? { FailureReason: endpoint.FailureReason } : {}),
      CreationTime: endpoint.CreationTime,
      LastModifiedTime: endpoint.LastModifiedTime,
      ...(endpoint.pending && pending
        ? {
            PendingDeploymentSummary: {
              EndpointConfigName: endpoint.pending.EndpointConfigName,
              ProductionVariants: pending.ProductionVariants.map((variant) => ({
                VariantName: variant.VariantName,
                DesiredWeight: variant.InitialVariantWeight,
                ...(variant.ServerlessConfig
                  ? { DesiredServerlessConfig: variant.ServerlessConfig }
                  : {
                      DesiredInstanceCount: variant.InitialInstanceCount,
                      InstanceType: variant.InstanceType,
                    }),
              })),
              StartTime: endpoint.pending.StartTime,
            },
          }
        : {}),
    };
  };

  /** The deployment in progress ends (or a failed update's rollback does). */
  const advance = (endpoint: EndpointRecord) => {
    const now = clock().toISOString();
    const pending = endpoint.pending;
    const last = endpoint.deployments.at(-1);
    if (endpoint.EndpointStatus === 'Creating' && pending) {
      delete endpoint.pending;
      endpoint.LastModifiedTime = now;
      if (pending.failure) {
        endpoint.EndpointStatus = 'Failed';
        endpoint.FailureReason = pending.failure;
      } else endpoint.EndpointStatus = 'InService';
      if (last) last.outcome = endpoint.EndpointStatus === 'Failed' ? 'Failed' : 'InService';
    } else if (endpoint.EndpointStatus === 'Updating' && pending) {
      delete endpoint.pending;
      endpoint.LastModifiedTime = now;
      if (pending.failure) {
        endpoint.EndpointStatus = 'Failed';
        endpoint.FailureReason = pending.failure;
        endpoint.rollingBack = true;
        if (last) last.outcome = 'Failed';
      } else {
        endpoint.previousConfigName = endpoint.EndpointConfigName;
        endpoint.EndpointConfigName = pending.EndpointConfigName;
        endpoint.EndpointStatus = 'InService';
        delete endpoint.FailureReason;
        if (last) last.outcome = 'InService';
      }
    } else if (endpoint.EndpointStatus === 'Failed' && endpoint.rollingBack) {
      delete endpoint.rollingBack;
      endpoint.EndpointStatus = 'InService';
      endpoint.LastModifiedTime = now;
    }
  };

  return {
    createModel(state: HostingState, input: unknown) {
      const body = request(input, refuse);
      const name = matching(body.ModelName, 'ModelName', SAGEMAKER_NAME, refuse, NAME_RULE);
      if (body.Containers !== undefined)
        throw refuse('Containers', 'is not supported locally (give PrimaryContainer)');
      const container = body.PrimaryContainer;
      if (!isRecord(container)) throw refuse('PrimaryContainer', 'is required');
      const image = requiredString(container.Image, 'PrimaryContainer.Image', refuse);
      if (image.length > 255) throw refuse('PrimaryContainer.Image', 'is longer than 255 characters');
      let modelDataUrl: string | undefined;
      if (container.ModelDataUrl !== undefined) {
        modelDataUrl = requiredString(container.ModelDataUrl, 'PrimaryContainer.ModelDataUrl', refuse);
        if (!MODEL_DATA_URL.test(modelDataUrl))
          throw refuse(
            'PrimaryContainer.ModelDataUrl',
            `${JSON.stringify(modelDataUrl)} is not an S3 URI (s3://bucket/key)`,
          );
      }
      const environment =
        container.Environment === undefined
          ? undefined
          : stringMap(container.Environment, 'PrimaryContainer.Environment', refuse, {
              entries: 100,
              key: /^[a-zA-Z_][a-zA-Z0-9_]*$/,
              keyLength: 1024,
              valueLength: 1024,
            });
      const role = matching(body.ExecutionRoleArn, 'ExecutionRoleArn', ROLE_ARN, refuse, 'an IAM role ARN');
      const arn = sagemakerArn('model', name);
      if (state.models[key(name)])
        throw sagemakerError(false, `Cannot create already existing model "${arn}".`);
      const others = rest(body, ['ModelName', 'PrimaryContainer', 'ExecutionRoleArn']);
      const containerOthers = rest(container, ['Image', 'ModelDataUrl', 'Environment']);
      state.models[key(name)] = {
        ModelName: name,
        ModelArn: arn,
        PrimaryContainer: {
          ...containerOthers,
          Image: image,
          ...(modelDataUrl ? { ModelDataUrl: modelDataUrl } : {}),
          ...(environment ? { Environment: environment } : {}),
        },
        ExecutionRoleArn: role,
        CreationTime: clock().toISOString(),
        ...(others ? { other: others } : {}),
      };
      return { ModelArn: arn };
    },

    createEndpointConfig(state: HostingState, input: unknown) {
      const body = request(input, refuse);
      const name = matching(body.EndpointConfigName, 'EndpointConfigName', SAGEMAKER_NAME, refuse, NAME_RULE);
      const variants = body.ProductionVariants;
      if (!Array.isArray(variants) || variants.length === 0)
        throw refuse('ProductionVariants', 'must list 1 to 10 variants');
      if (variants.length > 10)
        throw refuse('ProductionVariants', `has ${variants.length} variants; at most 10`);
      const seen = new Set<string>();
      const records = variants.map((variant, index): VariantRecord => {
        const at = `ProductionVariants[${index}]`;
        if (!isRecord(variant)) throw refuse(at, 'must be an object');
        const variantName = matching(
          variant.VariantName,
          `${at}.VariantName`,
          SAGEMAKER_NAME,
          refuse,
          NAME_RULE,
        );
        if (seen.has(key(variantName)))
          throw refuse(`${at}.VariantName`, `variant ${variantName} is given twice`);
        seen.add(key(variantName));
        const modelName = matching(variant.ModelName, `${at}.ModelName`, SAGEMAKER_NAME, refuse, NAME_RULE);
        const model = state.models[key(modelName)];
        if (!model)
          throw sagemakerError(false, `Could not find model "${sagemakerArn('model', modelName)}".`);
        const weight = variant.InitialVariantWeight ?? 1;
        if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0)
          throw refuse(`${at}.InitialVariantWeight`, 'must be a number of at least 0');
        const record: VariantRecord = {
          VariantName: variantName,
          ModelName: model.ModelName,
          InitialVariantWeight: weight,
        };
        if (variant.ServerlessConfig !== undefined) {
          if (!isRecord(variant.ServerlessConfig))
            throw refuse(`${at}.ServerlessConfig`, 'must be an object');
          if (variant.InstanceType !== undefined || variant.InitialInstanceCount !== undefined)
            throw refuse(at, 'gives ServerlessConfig or InstanceType and InitialInstanceCount, not both');
          record.ServerlessConfig = variant.ServerlessConfig;
        } else {
          record.InitialInstanceCount = integer(
            variant.InitialInstanceCount,
            `${at}.InitialInstanceCount`,
            1,
            10_000,
            refuse,
          );
          record.InstanceType = matching(
            variant.InstanceType,
            `${at}.InstanceType`,
            INSTANCE_TYPE,
            refuse,
            'e.g. ml.m5.large',
          );
        }
        return record;
      });
      const arn = sagemakerArn('endpoint-config', name);
      if (state.endpointConfigs[key(name)])
        throw sagemakerError(false, `Cannot create already existing endpoint configuration "${arn}".`);
      const others = rest(body, ['EndpointConfigName', 'ProductionVariants']);
      state.endpointConfigs[key(name)] = {
        EndpointConfigName: name,
        EndpointConfigArn: arn,
        ProductionVariants: records,
        CreationTime: clock().toISOString(),
        ...(others ? { other: others } : {}),
      };
      return { EndpointConfigArn: arn };
    },

    createEndpoint(state: HostingState, input: unknown) {
      const body = request(input, refuse);
      const name = matching(body.EndpointName, 'EndpointName', SAGEMAKER_NAME, refuse, NAME_RULE);
      const configName = matching(
        body.EndpointConfigName,
        'EndpointConfigName',
        SAGEMAKER_NAME,
        refuse,
        NAME_RULE,
      );
      const arn = sagemakerArn('endpoint', name);
      if (state.endpoints[key(name)])
        throw sagemakerError(false, `Cannot create already existing endpoint "${arn}".`);
      const config = existingConfig(state, configName);
      const now = clock().toISOString();
      const fails = failure(state, config);
      state.endpoints[key(name)] = {
        EndpointName: name,
        EndpointArn: arn,
        EndpointConfigName: config.EndpointConfigName,
        EndpointStatus: 'Creating',
        CreationTime: now,
        LastModifiedTime: now,
        pending: {
          EndpointConfigName: config.EndpointConfigName,
          StartTime: now,
          ...(fails ? { failure: fails } : {}),
        },
        deployments: [{ EndpointConfigName: config.EndpointConfigName, StartTime: now }],
      };
      return { EndpointArn: arn };
    },

    updateEndpoint(state: HostingState, input: unknown) {
      const body = request(input, refuse);
      const name = matching(body.EndpointName, 'EndpointName', SAGEMAKER_NAME, refuse, NAME_RULE);
      const configName = matching(
        body.EndpointConfigName,
        'EndpointConfigName',
        SAGEMAKER_NAME,
        refuse,
        NAME_RULE,
      );
      validateDeploymentConfig(body.DeploymentConfig, refuse);
      const arn = sagemakerArn('endpoint', name);
      const endpoint = state.endpoints[key(name)];
      if (!endpoint) throw sagemakerError(false, `Could not find endpoint "${arn}".`);
      // A failed update that was answered `Failed` is rolled back: the endpoint serves its old config again.
      const rolledBack = endpoint.EndpointStatus === 'Failed' && endpoint.rollingBack;
      if (endpoint.EndpointStatus !== 'InService' && !rolledBack) {
        throw sagemakerError(
          false,
          endpoint.EndpointStatus === 'Failed'
            ? `Cannot update failed endpoint "${arn}".`
            : `Cannot update in-progress endpoint "${arn}".`,
        );
      }
      const config = existingConfig(state, configName);
      if (rolledBack) advance(endpoint);
      const now = clock().toISOString();
      const fails = failure(state, config);
      endpoint.EndpointStatus = 'Updating';
      endpoint.LastModifiedTime = now;
      endpoint.pending = {
        EndpointConfigName: config.EndpointConfigName,
        StartTime: now,
        ...(body.DeploymentConfig !== undefined ? { DeploymentConfig: body.DeploymentConfig } : {}),
        ...(fails ? { failure: fails } : {}),
      };
      endpoint.deployments.push({ EndpointConfigName: config.EndpointConfigName, StartTime: now });
      return { EndpointArn: endpoint.EndpointArn };
    },

    describeEndpoint(state: HostingState, input: unknown) {
      const body = request(input, refuseSdk);
      const name = matching(body.EndpointName, 'EndpointName', SAGEMAKER_NAME, refuseSdk, NAME_RULE);
      const endpoint = state.endpoints[key(name)];
      if (!endpoint)
        throw sagemakerError(true, `Could not find endpoint "${sagemakerArn('endpoint', name)}".`);
      // Each status in progress is answered once; the next DescribeEndpoint sees what follows it.
      if (endpoint.pending?.seen || endpoint.rollingBack) advance(endpoint);
      else if (endpoint.pending) endpoint.pending.seen = true;
      return describe(endpoint, state);
    },
  };
}

// ---------------------------------------------------------------- Lambda versions and aliases

/** A function by name, partial ARN or ARN, with an optional qualifier (version or alias). */
const FUNCTION_REF =
  /^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$/;
const ALIAS_NAME = /^(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}$/;
const VERSION = /^[0-9]+$/;
const ENV_KEY = /^[a-zA-Z]([a-zA-Z0-9_])+$/;
/** Environment variables Lambda sets itself and refuses to take. */
const RESERVED_KEYS = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_DEFAULT_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_REGION',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_RUNTIME_DIR',
  'LAMBDA_TASK_ROOT',
]);
/** Lambda's limit on the environment variables of a function, in bytes. */
const ENV_BYTES = 4096;
/** CodeSha256 of the stand-in's (absent) code. */
const STAND_IN_CODE_SHA = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Role: string;
  Handler: string;
  CodeSize: number;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  CodeSha256: string;
  Version: string;
  Environment?: { Variables: Record<string, string> };
  RevisionId: string;
  State: 'Active';
  LastUpdateStatus: 'Successful' | 'InProgress';
  PackageType: 'Zip';
  Architectures: string[];
}

interface AliasConfiguration {
  AliasArn: string;
  Name: string;
  FunctionVersion: string;
  Description: string;
  RoutingConfig?: { AdditionalVersionWeights: Record<string, number> };
  RevisionId: string;
}

interface FunctionRecord {
  /** Created locally by the first call naming it. */
  standIn: boolean;
  /** A stand-in whose first alias call is still to come (it creates the alias it names). */
  aliasPending: boolean;
  latest: FunctionConfiguration;
  versions: Record<string, FunctionConfiguration>;
  /** The highest published version. */
  lastVersion: number;
  aliases: Record<string, AliasConfiguration>;
}

interface FunctionsState {
  functions: Record<string, FunctionRecord>;
}

function functionArn(name: string, qualifier?: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
}

/** Lambda's LastModified format: `2026-11-20T00:00:00.000+0000`. */
function lastModified(date: Date): string {
  return date.toISOString().replace(/Z$/, '+0000');
}

function variables(config: FunctionConfiguration): Record<string, string> {
  return config.Environment?.Variables ?? {};
}

/** What publishing compares: `$LATEST` changed since a version when any of these differ. */
function sameCodeAndConfig(a: FunctionConfiguration, b: FunctionConfiguration): boolean {
  return (
    a.CodeSha256 === b.CodeSha256 &&
    a.Runtime === b.Runtime &&
    a.Handler === b.Handler &&
    a.Role === b.Role &&
    a.Timeout === b.Timeout &&
    a.MemorySize === b.MemorySize &&
    sameMap(variables(a), variables(b))
  );
}

function lambdaVersions(clock: () => Date) {
  const parseRef = (value: unknown, field: string) => {
    const text = requiredString(value, field, invalidLambda);
    const match = FUNCTION_REF.exec(text);
    if (!match) throw invalidLambda(field, `${JSON.stringify(text)} is not a function name or ARN`);
    return { name: match[1] as string, qualifier: match[2] };
  };

  /** The function a request names, without a qualifier; an unknown one becomes a stand-in. */
  const resolve = (
    state: FunctionsState,
    value: unknown,
    note: (text: string) => void,
    qualified = false,
  ) => {
    const ref = parseRef(value, 'FunctionName');
    if (ref.qualifier !== undefined && !qualified)
      throw invalidLambda(
        'FunctionName',
        `${JSON.stringify(value)} must name the function without a qualifier`,
      );
    let fn = state.functions[ref.name];
    if (!fn) {
      fn = standIn(ref.name);
      state.functions[ref.name] = fn;
      note(
        `created the local stand-in of function ${ref.name}: $LATEST with no environment variables, version 1 published from it`,
      );
    }
    return { fn, name: ref.name, qualifier: ref.qualifier };
  };

  const standIn = (name: string): FunctionRecord => {
    const latest: FunctionConfiguration = {
      FunctionName: name,
      FunctionArn: functionArn(name),
      Runtime: 'nodejs22.x',
      Role: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}-role`,
      Handler: 'index.handler',
      CodeSize: 0,
      Description: 'local stand-in (Kaizen Loop)',
      Timeout: 3,
      MemorySize: 128,
      LastModified: lastModified(clock()),
      CodeSha256: STAND_IN_CODE_SHA,
      Version: '$LATEST',
      RevisionId: randomUUID(),
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      Architectures: ['x86_64'],
    };
    return {
      standIn: true,
      aliasPending: true,
      latest,
      versions: { '1': versionOf(latest, 1, latest.Description) },
      lastVersion: 1,
      aliases: {},
    };
  };

  const versionOf = (
    latest: FunctionConfiguration,
    version: number,
    description: string,
  ): FunctionConfiguration => ({
    ...structuredClone(latest),
    FunctionArn: functionArn(latest.FunctionName, String(version)),
    Version: String(version),
    Description: description,
    RevisionId: randomUUID(),
    LastUpdateStatus: 'Successful',
  });

  const inProgress = (fn: FunctionRecord) =>
    lambdaError(
      'ResourceConflictException',
      `The operation cannot be performed at this time. An update is in progress for resource: ${fn.latest.FunctionArn}`,
    );

  const checkRevision = (value: unknown, current: string, what: string) => {
    if (value === undefined) return;
    if (typeof value !== 'string') throw invalidLambda('RevisionId', 'must be a string');
    if (value !== current)
      throw lambdaError(
        'PreconditionFailedException',
        `The Revision Id provided does not match the latest Revision Id. Call the ${what} API to retrieve the latest Revision Id`,
      );
  };

  /** The alias a request names; a stand-in's first alias call creates it, pointing at version 1. */
  const alias = (fn: FunctionRecord, name: string, value: unknown, note: (text: string) => void) => {
    const aliasName = requiredString(value, 'Name', invalidLambda);
    if (!ALIAS_NAME.test(aliasName))
      throw invalidLambda('Name', `${JSON.stringify(aliasName)} does not match ${ALIAS_NAME.source}`);
    if (!fn.aliases[aliasName] && fn.aliasPending) {
      fn.aliasPending = false;
      fn.aliases[aliasName] = {
        AliasArn: functionArn(name, aliasName),
        Name: aliasName,
        FunctionVersion: '1',
        Description: '',
        RevisionId: randomUUID(),
      };
      note(`created the local stand-in alias ${name}:${aliasName}, pointing at version 1`);
    }
    const found = fn.aliases[aliasName];
    if (!found)
      throw lambdaError(
        'ResourceNotFoundException',
        `Cannot find alias arn: ${functionArn(name, aliasName)}`,
      );
    return found;
  };

  const versionNotFound = (name: string, version: string) =>
    lambdaError('ResourceNotFoundException', `Function not found: ${functionArn(name, version)}`);

  return {
    getFunctionConfiguration(state: FunctionsState, input: unknown, note: (text: string) => void) {
      const body = request(input, invalidLambda);
      const { fn, name, qualifier: inName } = resolve(state, body.FunctionName, note, true);
      const given = optionalString(body.Qualifier, 'Qualifier', invalidLambda, 128);
      if (inName !== undefined && given !== undefined && inName !== given)
        throw invalidLambda('Qualifier', `${given} differs from the qualifier in FunctionName (${inName})`);
      const qualifier = given ?? inName ?? '$LATEST';
      if (qualifier === '$LATEST') {
        // Lambda finishes an update a short while after it started: the next look sees it done.
        if (fn.latest.LastUpdateStatus === 'InProgress') fn.latest.LastUpdateStatus = 'Successful';
        return structuredClone(fn.latest);
      }
      const version = VERSION.test(qualifier) ? qualifier : fn.aliases[qualifier]?.FunctionVersion;
      if (version === '$LATEST') return structuredClone(fn.latest);
      const config = version === undefined ? undefined : fn.versions[version];
      if (!config) throw versionNotFound(name, qualifier);
      return structuredClone(config);
    },

    updateFunctionConfiguration(state: FunctionsState, input: unknown, note: (text: string) => void) {
      const body = request(input, invalidLambda);
      const { fn } = resolve(state, body.FunctionName, note);
      const supported = ['FunctionName', 'Environment', 'Description', 'Timeout', 'MemorySize', 'RevisionId'];
      const other = Object.keys(body).find((field) => !supported.includes(field));
      if (other)
        throw invalidLambda(other, `is not supported by the local stand-in (only ${supported.join(', ')})`);
      let environment: Record<string, string> | undefined;
      if (body.Environment !== undefined) {
        if (!isRecord(body.Environment)) throw invalidLambda('Environment', 'must be an object');
        environment = stringMap(body.Environment.Variables ?? {}, 'Environment.Variables', invalidLambda, {
          entries: Number.MAX_SAFE_INTEGER,
          key: ENV_KEY,
          keyLength: Number.MAX_SAFE_INTEGER,
          valueLength: Number.MAX_SAFE_INTEGER,
        });
        const reserved = Object.keys(environment).filter((name) => RESERVED_KEYS.has(name));
        if (reserved.length > 0)
          throw invalidLambda(
            'Environment.Variables',
            `Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reserved.join(', ')}`,
          );
        const bytes = Object.entries(environment).reduce(
          (total, [name, value]) => total + Buffer.byteLength(name) + Buffer.byteLength(value),
          0,
        );
        if (bytes > ENV_BYTES)
          throw invalidLambda(
            'Environment.Variables',
            `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${bytes} bytes`,
          );
      }
      const description = optionalString(body.Description, 'Description', invalidLambda, 256);
      const timeout =
        body.Timeout === undefined ? undefined : integer(body.Timeout, 'Timeout', 1, 900, invalidLambda);
      const memory =
        body.MemorySize === undefined
          ? undefined
          : integer(body.MemorySize, 'MemorySize', 128, 10_240, invalidLambda);
      if (fn.latest.LastUpdateStatus === 'InProgress') throw inProgress(fn);
      checkRevision(body.RevisionId, fn.latest.RevisionId, 'GetFunction');
      const latest = fn.latest;
      if (environment !== undefined) {
        if (Object.keys(environment).length > 0) latest.Environment = { Variables: environment };
        else delete latest.Environment;
      }
      if (description !== undefined) latest.Description = description;
      if (timeout !== undefined) latest.Timeout = timeout;
      if (memory !== undefined) latest.MemorySize = memory;
      latest.LastModified = lastModified(clock());
      latest.RevisionId = randomUUID();
      latest.LastUpdateStatus = 'InProgress';
      return structuredClone(latest);
    },

    publishVersion(state: FunctionsState, input: unknown, note: (text: string) => void) {
      const body = request(input, invalidLambda);
      const { fn } = resolve(state, body.FunctionName, note);
      const description = optionalString(body.Description, 'Description', invalidLambda, 256);
      if (body.CodeSha256 !== undefined && body.CodeSha256 !== fn.latest.CodeSha256)
        throw lambdaError(
          'InvalidParameterValueException',
          `CodeSHA256 (${String(body.CodeSha256)}) is different from current CodeSHA256 in $LATEST (${fn.latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
        );
      checkRevision(body.RevisionId, fn.latest.RevisionId, 'GetFunction');
      if (fn.latest.LastUpdateStatus === 'InProgress') throw inProgress(fn);
      const last = fn.versions[String(fn.lastVersion)];
      if (last && sameCodeAndConfig(last, fn.latest)) return structuredClone(last);
      const number = fn.lastVersion + 1;
      const version = versionOf(fn.latest, number, description ?? fn.latest.Description);
      fn.versions[String(number)] = version;
      fn.lastVersion = number;
      return structuredClone(version);
    },

    getAlias(state: FunctionsState, input: unknown, note: (text: string) => void) {
      const body = request(input, invalidLambda);
      const { fn, name } = resolve(state, body.FunctionName, note);
      return structuredClone(alias(fn, name, body.Name, note));
    },

    updateAlias(state: FunctionsState, input: unknown, note: (text: string) => void) {
      const body = request(input, invalidLambda);
      const { fn, name } = resolve(state, body.FunctionName, note);
      const current = alias(fn, name, body.Name, note);
      const description = optionalString(body.Description, 'Description', invalidLambda, 256);

      let functionVersion = current.FunctionVersion;
      if (body.FunctionVersion !== undefined) {
        functionVersion = requiredString(body.FunctionVersion, 'FunctionVersion', invalidLambda);
        if (functionVersion !== '$LATEST' && !VERSION.test(functionVersion))
          throw invalidLambda(
            'FunctionVersion',
            `${JSON.stringify(functionVersion)} is not $LATEST or a version number`,
          );
        if (functionVersion !== '$LATEST' && !fn.versions[functionVersion])
          throw versionNotFound(name, functionVersion);
      }

      let weights = current.RoutingConfig?.AdditionalVersionWeights ?? {};
      if (body.RoutingConfig !== undefined) {
        if (!isRecord(body.RoutingConfig)) throw invalidLambda('RoutingConfig', 'must be an object');
        const given = body.RoutingConfig.AdditionalVersionWeights ?? {};
        const field = 'RoutingConfig.AdditionalVersionWeights';
        if (!isRecord(given)) throw invalidLambda(field, 'must be a map of version to weight');
        const entries = Object.entries(given);
        if (entries.length > 1)
          throw invalidLambda(
            field,
            `names ${entries.length} additional versions; an alias routes to at most one`,
          );
        for (const [version, weight] of entries) {
          if (!VERSION.test(version))
            throw invalidLambda(field, `key ${JSON.stringify(version)} is not a version number`);
          if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1)
            throw invalidLambda(
              `${field}.${version}`,
              `weight ${JSON.stringify(weight)} is not from 0.0 to 1.0`,
            );
          if (!fn.versions[version])
            throw invalidLambda(field, `version ${version} of ${name} does not exist`);
        }
        weights = Object.fromEntries(entries) as Record<string, number>;
      }
      const additional = Object.keys(weights)[0];
      if (additional !== undefined) {
        if (additional === functionVersion)
          throw invalidLambda(
            'RoutingConfig.AdditionalVersionWeights',
            `the additional version (${additional}) must differ from FunctionVersion (${functionVersion})`,
          );
        if (functionVersion === '$LATEST')
          throw invalidLambda(
            'FunctionVersion',
            '$LATEST cannot be used with RoutingConfig: route between published versions',
          );
      }
      checkRevision(body.RevisionId, current.RevisionId, 'GetAlias');

      current.FunctionVersion = functionVersion;
      if (description !== undefined) current.Description = description;
      if (additional !== undefined) current.RoutingConfig = { AdditionalVersionWeights: weights };
      else delete current.RoutingConfig;
      current.RevisionId = randomUUID();
      return structuredClone(current);
    },
  };
}

// ---------------------------------------------------------------- the integration

/** The local SageMaker hosting and Lambda versions/aliases (see the module comment). */
export function servingIntegration(options: ServingIntegrationOptions): LocalIntegration {
  const { home } = options;
  const clock = options.clock ?? (() => new Date());
  const hostingPath = join(home, HOSTING_FILE);
  const functionsPath = join(home, FUNCTIONS_FILE);
  const hosting = sagemakerHosting(clock);
  const lambda = lambdaVersions(clock);
  const emptyHosting = (): HostingState => ({ models: {}, endpointConfigs: {}, endpoints: {} });
  const emptyFunctions = (): FunctionsState => ({ functions: {} });

  /** One call at a time: each reads the state, changes it and writes it back. */
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };

  const answer = async (target: ServingTarget, input: unknown, note: (text: string) => void) => {
    const [service, action] = target.split(':') as ['sagemaker' | 'lambda', string];
    if (service === 'sagemaker') {
      const state = await readState(hostingPath, emptyHosting);
      const run = hosting[action as keyof typeof hosting];
      const result = run(state, input);
      await writeState(hostingPath, state);
      return result;
    }
    const state = await readState(functionsPath, emptyFunctions);
    const before = JSON.stringify(state);
    try {
      return lambda[action as keyof typeof lambda](state, input, note);
    } finally {
      // A refused call changes nothing, except the stand-in it may have created.
      if (JSON.stringify(state) !== before) await writeState(functionsPath, state);
    }
  };

  return {
    target(resource) {
      return Object.hasOwn(SERVING_TARGETS, resource)
        ? SERVING_TARGETS[resource as keyof typeof SERVING_TARGETS]
        : undefined;
    },
    async run({ state, target, input, beforeTask }) {
      await beforeTask?.({ state, step: target, input });
      return serially(async () => {
        const notes: string[] = [];
        const line: ServingCall = {
          at: clock().toISOString(),
          state,
          target: target as ServingTarget,
          input,
        };
        try {
          line.output = await answer(target as ServingTarget, input, (text) => notes.push(text));
          return line.output;
        } catch (error) {
          const { name, message } = error as Error;
          line.error = { name, message };
          throw error;
        } finally {
          if (notes.length > 0) line.note = notes.join('; ');
          await mkdir(home, { recursive: true });
          await appendFile(join(home, SERVING_CALLS_FILE), `${JSON.stringify(line)}\n`);
        }
      });
    },
  };
}
