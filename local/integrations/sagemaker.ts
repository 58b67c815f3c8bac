/**
 * The local SageMaker: `sagemaker:createTrainingJob.sync` and `sagemaker:createProcessingJob.sync` run the job's
 * entry point as a local process under SageMaker's container contract, without Docker, and answer as the
 * `.sync` integration does: the Describe response when the job completed, `States.TaskFailed` with the
 * Describe JSON as cause when it did not.
 *
 * - Training (script mode, as the SageMaker training toolkit runs it): a temporary `<tmp>/opt/ml` tree with
 *   `input/config/{hyperparameters,inputdataconfig,resourceconfig}.json`, `input/data/<channel>/` (the channel's
 *   objects), `code/` (the `sagemaker_submit_directory` tar.gz, extracted), `model/` and `output/`; the entry point
 *   (`sagemaker_program`) runs in `code/` by its extension (`.py` python3, `.js`/`.mjs`/`.cjs` this Node.js, `.sh`
 *   bash) with `--name value` per user hyperparameter and the toolkit's `SM_*` environment (paths point into
 *   the temporary tree). `model/` becomes `<S3OutputPath>/<job>/output/model.tar.gz` and a non-empty
 *   `output/data/` becomes `output.tar.gz` beside it.
 * - Processing: every container path under `/opt/ml` maps to `<tmp>/opt/ml`. The mapping is plain string
 *   replacement of `/opt/ml` (as a whole path segment) in ContainerEntrypoint, ContainerArguments and Environment
 *   values, so a script must spell its paths out (`/opt/ml/processing/input/x`); a path built at run time from
 *   pieces is not mapped. The entry point runs with the temporary root as working directory; the files of each
 *   output's LocalPath are uploaded to its S3Uri at the end of a completed job.
 *
 * Every request is kept in `<home>/sagemaker/{training,processing}-jobs/<name>.json` (written once: a name used
 * before is refused as SageMaker refuses it), the job's stdout and stderr in `<home>/logs/sagemaker/<name>.log`.
 * `MaxRuntimeInSeconds` is enforced (the process group gets SIGTERM, then SIGKILL). The child sees only PATH,
 * HOME, locale and temp settings of this process's environment, plus what SageMaker would set; with
 * `KAIZEN_PYTHON` set, `python3` in a job runs that interpreter (a shim first on the job's PATH).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import * as tar from 'tar';
import {
  SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
  SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
} from '#contracts/workflows.ts';
import type { LazyS3Client } from '#runtime/context.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../lambda-context.ts';
import type { LocalIntegration } from './types.ts';

/** What the jobs need of an S3 client (a context's lazily built one, or a plain client). */
type S3 = Pick<LazyS3Client, 'send'>;

export { SAGEMAKER_CREATE_PROCESSING_JOB_SYNC, SAGEMAKER_CREATE_TRAINING_JOB_SYNC };

/** Target names of the two Task resources. */
export const TRAINING_JOB_TARGET = 'sagemaker:createTrainingJob';
export const PROCESSING_JOB_TARGET = 'sagemaker:createProcessingJob';

/** SageMaker's pattern for training and processing job names. */
const JOB_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const CHANNEL_NAME = /^[A-Za-z0-9.\-_]+$/;
/** SageMaker's longest stopping condition (28 days). */
const MAX_RUNTIME_LIMIT = 2_419_200;
/** DescribeTrainingJob's FailureReason and DescribeProcessingJob's ExitMessage are at most 1,024 characters. */
const REASON_CHARS = 1024;
/** Lines of a job's output kept to explain how it ended. */
const TAIL_LINES = 40;
/** How long a stopped job's processes get between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 2_000;
const HOST = 'algo-1';
/** What of this process's environment a job sees (what a container image would also set). */
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  'SYSTEMROOT',
];
const INTERPRETERS: Record<string, () => string> = {
  '.py': () => 'python3',
  '.js': () => process.execPath,
  '.mjs': () => process.execPath,
  '.cjs': () => process.execPath,
  '.sh': () => 'bash',
};

export interface SageMakerIntegrationOptions {
  /** Folder of the local stack: requests in `<home>/sagemaker/`, logs in `<home>/logs/sagemaker/`. */
  home: string;
  /** Client of the S3 that the jobs' S3 URIs name (locally s3rver); without one, every job is refused. */
  s3?: S3;
  /** Creation, start and end times of the jobs. @default the wall clock */
  clock?: () => Date;
}

// ---------------------------------------------------------------- request shapes (the AWS API's, as used here)

interface S3DataSource {
  S3DataType?: string;
  S3Uri?: string;
  S3DataDistributionType?: string;
}

interface Channel {
  ChannelName?: string;
  DataSource?: { S3DataSource?: S3DataSource };
  ContentType?: string;
  CompressionType?: string;
  InputMode?: string;
}

export interface CreateTrainingJobRequest {
  TrainingJobName?: string;
  RoleArn?: string;
  AlgorithmSpecification?: { TrainingImage?: string; TrainingInputMode?: string };
  HyperParameters?: Record<string, unknown>;
  InputDataConfig?: Channel[];
  OutputDataConfig?: { S3OutputPath?: string };
  ResourceConfig?: { InstanceType?: string; InstanceCount?: number; VolumeSizeInGB?: number };
  StoppingCondition?: { MaxRuntimeInSeconds?: number };
  [field: string]: unknown;
}

interface ProcessingInput {
  InputName?: string;
  S3Input?: {
    S3Uri?: string;
    LocalPath?: string;
    S3DataType?: string;
    S3InputMode?: string;
    S3DataDistributionType?: string;
    S3CompressionType?: string;
  };
  [field: string]: unknown;
}

interface ProcessingOutput {
  OutputName?: string;
  S3Output?: { S3Uri?: string; LocalPath?: string; S3UploadMode?: string };
  [field: string]: unknown;
}

export interface CreateProcessingJobRequest {
  ProcessingJobName?: string;
  RoleArn?: string;
  AppSpecification?: { ImageUri?: string; ContainerEntrypoint?: string[]; ContainerArguments?: string[] };
  ProcessingInputs?: ProcessingInput[];
  ProcessingOutputConfig?: { Outputs?: ProcessingOutput[] };
  ProcessingResources?: {
    ClusterConfig?: { InstanceCount?: number; InstanceType?: string; VolumeSizeInGB?: number };
  };
  StoppingCondition?: { MaxRuntimeInSeconds?: number };
  Environment?: Record<string, string>;
  [field: string]: unknown;
}

// ---------------------------------------------------------------- errors

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** A request SageMaker refuses: Step Functions surfaces it as `SageMaker.ValidationException`. */
function invalid(field: string, problem: string): Error {
  return namedError('SageMaker.ValidationException', `${field}: ${problem}`);
}

/** Why a job failed, once its Describe response is known. */
class JobFailure extends Error {
  constructor(
    readonly reason: string,
    readonly secondaryStatus = 'Failed',
  ) {
    super(reason);
  }
}

/** What a `.sync` task fails with when its job failed: `States.TaskFailed`, the Describe JSON as cause. */
function taskFailed(describe: unknown): Error {
  return namedError('States.TaskFailed', JSON.stringify(describe));
}

// ---------------------------------------------------------------- validation

interface S3Location {
  bucket: string;
  key: string;
}

function parseS3Uri(uri: unknown, field: string): S3Location {
  if (typeof uri !== 'string' || uri === '') throw invalid(field, 'is required');
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match) throw invalid(field, `${JSON.stringify(uri)} is not an S3 URI (s3://bucket/key)`);
  const key = match[2] ?? '';
  if (key.split('/').some((segment) => segment === '..'))
    throw invalid(field, `${JSON.stringify(uri)} has a ".." segment`);
  return { bucket: match[1] as string, key };
}

function requiredString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(field, 'is required');
  return value;
}

function jobName(value: unknown, field: string): string {
  const name = requiredString(value, field);
  if (!JOB_NAME.test(name)) {
    throw invalid(
      field,
      `${JSON.stringify(name)} does not match ${JOB_NAME.source} (letters, digits and hyphens, at most 63)`,
    );
  }
  return name;
}

function positiveInteger(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max)
    throw invalid(field, `must be an integer from 1 to ${max}`);
  return value;
}

function oneInstance(value: unknown, field: string): void {
  positiveInteger(value, field, 100);
  if (value !== 1) throw invalid(field, 'is 1 locally: a local job runs on one host');
}

/** A relative path inside a folder (entry point, object paths): no absolute path, no `..`. */
function insideFolder(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.split(/[\\/]/).some((segment) => segment === '..');
}

interface TrainingChannel {
  name: string;
  dataType: 'S3Prefix' | 'ManifestFile';
  source: S3Location;
  uri: string;
  config: Record<string, string>;
}

interface TrainingPlan {
  name: string;
  program: string;
  interpreter: string;
  submitDirectory?: S3Location;
  userHyperparameters: Record<string, string>;
  channels: TrainingChannel[];
  output: S3Location;
  instanceType: string;
  maxRuntimeSeconds: number;
  buckets: Map<string, string>;
}

function validateTraining(request: CreateTrainingJobRequest): TrainingPlan {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw invalid('request', 'must be an object');
  const name = jobName(request.TrainingJobName, 'TrainingJobName');
  requiredString(request.RoleArn, 'RoleArn');
  const algorithm = request.AlgorithmSpecification;
  if (typeof algorithm !== 'object' || algorithm === null)
    throw invalid('AlgorithmSpecification', 'is required');
  requiredString(algorithm.TrainingImage, 'AlgorithmSpecification.TrainingImage');
  if (algorithm.TrainingInputMode !== 'File') {
    throw invalid(
      'AlgorithmSpecification.TrainingInputMode',
      `${JSON.stringify(algorithm.TrainingInputMode ?? null)} is not supported locally (File only)`,
    );
  }
  const buckets = new Map<string, string>();
  const located = (uri: unknown, field: string) => {
    const location = parseS3Uri(uri, field);
    if (!buckets.has(location.bucket)) buckets.set(location.bucket, field);
    return location;
  };

  const hyperparameters = request.HyperParameters ?? {};
  if (typeof hyperparameters !== 'object' || hyperparameters === null || Array.isArray(hyperparameters))
    throw invalid('HyperParameters', 'must be a map of strings');
  const entries = Object.entries(hyperparameters);
  if (entries.length > 100) throw invalid('HyperParameters', `has ${entries.length} entries; at most 100`);
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 256)
      throw invalid('HyperParameters', `key ${key} is not 1 to 256 long`);
    if (typeof value !== 'string')
      throw invalid(`HyperParameters.${key}`, `must be a string (got ${JSON.stringify(value)})`);
    if (value.length > 2500) throw invalid(`HyperParameters.${key}`, 'is longer than 2,500 characters');
  }
  const strings = hyperparameters as Record<string, string>;
  const program = decodeHyperparameter(strings.sagemaker_program);
  if (typeof program !== 'string' || program === '')
    throw invalid('HyperParameters.sagemaker_program', 'is required (the entry point, e.g. train.py)');
  if (!insideFolder(program))
    throw invalid('HyperParameters.sagemaker_program', `${program} is not a relative path inside the code`);
  const interpreter = INTERPRETERS[extname(program).toLowerCase()];
  if (!interpreter) {
    throw invalid(
      'HyperParameters.sagemaker_program',
      `${program}: locally an entry point runs by its extension (${Object.keys(INTERPRETERS).join(', ')}), not "${extname(program) || '(none)'}"`,
    );
  }
  const submit = decodeHyperparameter(strings.sagemaker_submit_directory);
  const submitDirectory =
    submit === undefined ? undefined : located(submit, 'HyperParameters.sagemaker_submit_directory');
  if (submitDirectory && !submitDirectory.key.endsWith('.tar.gz'))
    throw invalid('HyperParameters.sagemaker_submit_directory', 'must name a .tar.gz object locally');
  const userHyperparameters = Object.fromEntries(
    entries.filter(([key]) => !key.startsWith('sagemaker_')),
  ) as Record<string, string>;

  const inputs = request.InputDataConfig ?? [];
  if (!Array.isArray(inputs)) throw invalid('InputDataConfig', 'must be a list of channels');
  if (inputs.length > 20) throw invalid('InputDataConfig', `has ${inputs.length} channels; at most 20`);
  const seen = new Set<string>();
  const channels = inputs.map((channel, index): TrainingChannel => {
    const at = `InputDataConfig[${index}]`;
    const channelName = requiredString(channel?.ChannelName, `${at}.ChannelName`);
    if (!CHANNEL_NAME.test(channelName) || channelName.length > 64)
      throw invalid(
        `${at}.ChannelName`,
        `${JSON.stringify(channelName)} does not match ${CHANNEL_NAME.source}`,
      );
    if (seen.has(channelName)) throw invalid(`${at}.ChannelName`, `channel ${channelName} is given twice`);
    seen.add(channelName);
    const source = channel.DataSource?.S3DataSource;
    if (!source) throw invalid(`${at}.DataSource.S3DataSource`, 'is required locally (S3 data only)');
    const dataType = source.S3DataType;
    if (dataType !== 'S3Prefix' && dataType !== 'ManifestFile') {
      throw invalid(
        `${at}.DataSource.S3DataSource.S3DataType`,
        `${JSON.stringify(dataType ?? null)} is not supported locally (S3Prefix or ManifestFile)`,
      );
    }
    if ((channel.InputMode ?? 'File') !== 'File')
      throw invalid(`${at}.InputMode`, 'is not supported locally (File only)');
    if ((channel.CompressionType ?? 'None') !== 'None')
      throw invalid(`${at}.CompressionType`, 'is not supported locally (None only)');
    const uri = source.S3Uri as string;
    const location = located(uri, `${at}.DataSource.S3DataSource.S3Uri`);
    const config: Record<string, string> = {
      TrainingInputMode: 'File',
      S3DistributionType: source.S3DataDistributionType ?? 'FullyReplicated',
      RecordWrapperType: 'None',
    };
    if (channel.ContentType) config.ContentType = channel.ContentType;
    return { name: channelName, dataType, source: location, uri, config };
  });

  const output = located(request.OutputDataConfig?.S3OutputPath, 'OutputDataConfig.S3OutputPath');
  const resources = request.ResourceConfig;
  if (typeof resources !== 'object' || resources === null) throw invalid('ResourceConfig', 'is required');
  const instanceType = requiredString(resources.InstanceType, 'ResourceConfig.InstanceType');
  oneInstance(resources.InstanceCount, 'ResourceConfig.InstanceCount');
  positiveInteger(resources.VolumeSizeInGB, 'ResourceConfig.VolumeSizeInGB', 16_384);
  const maxRuntimeSeconds = positiveInteger(
    request.StoppingCondition?.MaxRuntimeInSeconds,
    'StoppingCondition.MaxRuntimeInSeconds',
    MAX_RUNTIME_LIMIT,
  );
  return {
    name,
    program,
    interpreter: interpreter(),
    submitDirectory,
    userHyperparameters,
    channels,
    output,
    instanceType,
    maxRuntimeSeconds,
    buckets,
  };
}

interface ProcessingPlan {
  name: string;
  command: string;
  args: string[];
  environment: Record<string, string>;
  inputs: {
    name: string;
    dataType: 'S3Prefix' | 'ManifestFile';
    source: S3Location;
    uri: string;
    localPath: string;
  }[];
  outputs: { name: string; target: S3Location; localPath: string }[];
  instanceType: string;
  maxRuntimeSeconds: number;
  buckets: Map<string, string>;
}

const PROCESSING_PATH = '/opt/ml/processing/';

function processingPath(value: unknown, field: string): string {
  const path = requiredString(value, field);
  if (!path.startsWith(PROCESSING_PATH) || !insideFolder(path.slice(1)))
    throw invalid(field, `${JSON.stringify(path)} must be a path under ${PROCESSING_PATH}`);
  return path;
}

function stringList(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw invalid(field, 'must be a list of strings');
  return value as string[];
}

function validateProcessing(request: CreateProcessingJobRequest): ProcessingPlan {
  if (typeof request !== 'object' || request === null || Array.isArray(request))
    throw invalid('request', 'must be an object');
  const name = jobName(request.ProcessingJobName, 'ProcessingJobName');
  requiredString(request.RoleArn, 'RoleArn');
  const app = request.AppSpecification;
  if (typeof app !== 'object' || app === null) throw invalid('AppSpecification', 'is required');
  requiredString(app.ImageUri, 'AppSpecification.ImageUri');
  const entrypoint = stringList(app.ContainerEntrypoint, 'AppSpecification.ContainerEntrypoint');
  const [command, ...entryArgs] = entrypoint;
  if (!command)
    throw invalid(
      'AppSpecification.ContainerEntrypoint',
      "is required locally (there is no image's entry point)",
    );
  const args = [...entryArgs, ...stringList(app.ContainerArguments, 'AppSpecification.ContainerArguments')];
  const environment = request.Environment ?? {};
  if (typeof environment !== 'object' || environment === null || Array.isArray(environment))
    throw invalid('Environment', 'must be a map of strings');
  for (const [key, value] of Object.entries(environment))
    if (typeof value !== 'string') throw invalid(`Environment.${key}`, 'must be a string');

  const buckets = new Map<string, string>();
  const located = (uri: unknown, field: string) => {
    const location = parseS3Uri(uri, field);
    if (!buckets.has(location.bucket)) buckets.set(location.bucket, field);
    return location;
  };
  const rawInputs = request.ProcessingInputs ?? [];
  if (!Array.isArray(rawInputs)) throw invalid('ProcessingInputs', 'must be a list');
  if (rawInputs.length > 10) throw invalid('ProcessingInputs', `has ${rawInputs.length} inputs; at most 10`);
  const names = new Set<string>();
  const inputs = rawInputs.map((input, index) => {
    const at = `ProcessingInputs[${index}]`;
    const inputName = requiredString(input?.InputName, `${at}.InputName`);
    if (names.has(inputName)) throw invalid(`${at}.InputName`, `${inputName} is given twice`);
    names.add(inputName);
    const s3 = input.S3Input;
    if (!s3) throw invalid(`${at}.S3Input`, 'is required locally (S3 inputs only)');
    const dataType = s3.S3DataType ?? 'S3Prefix';
    if (dataType !== 'S3Prefix' && dataType !== 'ManifestFile')
      throw invalid(
        `${at}.S3Input.S3DataType`,
        `${JSON.stringify(dataType)} is not S3Prefix or ManifestFile`,
      );
    if ((s3.S3InputMode ?? 'File') !== 'File')
      throw invalid(`${at}.S3Input.S3InputMode`, 'is not supported locally (File only)');
    if ((s3.S3CompressionType ?? 'None') !== 'None')
      throw invalid(`${at}.S3Input.S3CompressionType`, 'is not supported locally (None only)');
    return {
      name: inputName,
      dataType: dataType as 'S3Prefix' | 'ManifestFile',
      source: located(s3.S3Uri, `${at}.S3Input.S3Uri`),
      uri: s3.S3Uri as string,
      localPath: processingPath(s3.LocalPath, `${at}.S3Input.LocalPath`),
    };
  });
  const rawOutputs = request.ProcessingOutputConfig?.Outputs ?? [];
  if (!Array.isArray(rawOutputs)) throw invalid('ProcessingOutputConfig.Outputs', 'must be a list');
  if (rawOutputs.length > 10)
    throw invalid('ProcessingOutputConfig.Outputs', `has ${rawOutputs.length} outputs; at most 10`);
  const outputNames = new Set<string>();
  const outputs = rawOutputs.map((output, index) => {
    const at = `ProcessingOutputConfig.Outputs[${index}]`;
    const outputName = requiredString(output?.OutputName, `${at}.OutputName`);
    if (outputNames.has(outputName)) throw invalid(`${at}.OutputName`, `${outputName} is given twice`);
    outputNames.add(outputName);
    const s3 = output.S3Output;
    if (!s3) throw invalid(`${at}.S3Output`, 'is required locally (S3 outputs only)');
    const mode = s3.S3UploadMode ?? 'EndOfJob';
    if (mode !== 'EndOfJob' && mode !== 'Continuous')
      throw invalid(`${at}.S3Output.S3UploadMode`, `${JSON.stringify(mode)} is not EndOfJob or Continuous`);
    return {
      name: outputName,
      target: located(s3.S3Uri, `${at}.S3Output.S3Uri`),
      localPath: processingPath(s3.LocalPath, `${at}.S3Output.LocalPath`),
    };
  });
  const cluster = request.ProcessingResources?.ClusterConfig;
  if (typeof cluster !== 'object' || cluster === null)
    throw invalid('ProcessingResources.ClusterConfig', 'is required');
  const instanceType = requiredString(cluster.InstanceType, 'ProcessingResources.ClusterConfig.InstanceType');
  oneInstance(cluster.InstanceCount, 'ProcessingResources.ClusterConfig.InstanceCount');
  positiveInteger(cluster.VolumeSizeInGB, 'ProcessingResources.ClusterConfig.VolumeSizeInGB', 16_384);
  const maxRuntimeSeconds =
    request.StoppingCondition === undefined
      ? 86_400
      : positiveInteger(
          request.StoppingCondition.MaxRuntimeInSeconds,
          'StoppingCondition.MaxRuntimeInSeconds',
          MAX_RUNTIME_LIMIT,
        );
  return {
    name,
    command,
    args,
    environment,
    inputs,
    outputs,
    instanceType,
    maxRuntimeSeconds,
    buckets,
  };
}

// ---------------------------------------------------------------- hyperparameters as the toolkit reads them

/** A hyperparameter's value as the toolkit reads it: JSON if it parses (the SDK `json.dumps` user values). */
function decodeHyperparameter(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Python's `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`. */
function pythonJson(value: unknown): string {
  const sorted = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sorted);
    if (item !== null && typeof item === 'object')
      return Object.fromEntries(
        Object.keys(item)
          .sort()
          .map((key) => [key, sorted((item as Record<string, unknown>)[key])]),
      );
    return item;
  };
  return JSON.stringify(sorted(value)).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Python's `str(value)` of a decoded JSON value (what the toolkit passes as a command-line value). */
function pythonStr(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return String(value);
  const repr = (item: unknown): string =>
    typeof item === 'string' ? `'${item.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'` : pythonRepr(item);
  const pythonRepr = (item: unknown): string => {
    if (Array.isArray(item)) return `[${item.map(repr).join(', ')}]`;
    if (item !== null && typeof item === 'object')
      return `{${Object.entries(item)
        .map(([key, inner]) => `${repr(key)}: ${repr(inner)}`)
        .join(', ')}}`;
    return item === null ? 'None' : pythonStr(item);
  };
  return pythonRepr(value);
}

/** The toolkit's command-line arguments: sorted names, `--name value` (`-n value` for one letter); maps as `k=v,...`. */
function userArguments(hyperparameters: Record<string, unknown>): string[] {
  return Object.keys(hyperparameters)
    .sort()
    .flatMap((name) => {
      const value = hyperparameters[name];
      const text =
        value !== null && typeof value === 'object' && !Array.isArray(value)
          ? Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([key, inner]) => `${key}=${pythonStr(inner)}`)
              .join(',')
          : pythonStr(value);
      return [name.length > 1 ? `--${name}` : `-${name}`, text];
    });
}

/** The toolkit's `SM_*` form of a value: strings as they are, anything else as compact JSON. */
function envValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : pythonJson(value);
}

// ---------------------------------------------------------------- S3

function joinKey(prefix: string, name: string): string {
  if (prefix === '') return name;
  return prefix.endsWith('/') ? `${prefix}${name}` : `${prefix}/${name}`;
}

async function listKeys(s3: S3, location: S3Location): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: location.bucket, Prefix: location.key, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? [])
      if (object.Key && !object.Key.endsWith('/')) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function getObject(s3: S3, location: S3Location): Promise<GetObjectCommandOutput> {
  try {
    return await s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
  } catch (error) {
    const { name, message } = error as Error;
    throw new JobFailure(
      `ClientError: Data download failed: s3://${location.bucket}/${location.key}: ${name}: ${message}`,
    );
  }
}

async function download(s3: S3, location: S3Location, path: string): Promise<number> {
  const output = await getObject(s3, location);
  await mkdir(dirname(path), { recursive: true });
  await pipeline(output.Body as Readable, createWriteStream(path));
  return (await stat(path)).size;
}

/**
 * Downloads an S3Prefix or ManifestFile source into `folder` as SageMaker's File mode lays it out: an S3Prefix's
 * objects at their key relative to the prefix's last `/`, a manifest's at their path relative to its `prefix`.
 */
async function downloadSource(
  s3: S3,
  dataType: 'S3Prefix' | 'ManifestFile',
  source: S3Location,
  uri: string,
  folder: string,
): Promise<{ files: number; bytes: number }> {
  const objects: { location: S3Location; path: string }[] = [];
  if (dataType === 'S3Prefix') {
    const base = source.key.slice(0, source.key.lastIndexOf('/') + 1);
    for (const key of await listKeys(s3, source))
      objects.push({ location: { bucket: source.bucket, key }, path: key.slice(base.length) });
    if (objects.length === 0) {
      throw new JobFailure(
        `ClientError: No S3 objects found under S3 URL "${uri}" given in input data source. Please ensure that the bucket exists and that objects exist under that S3 prefix.`,
      );
    }
  } else {
    const text = (await (await getObject(s3, source)).Body?.transformToString('utf-8')) ?? '';
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch (error) {
      throw new JobFailure(`ClientError: the manifest file ${uri} is not JSON: ${(error as Error).message}`);
    }
    const [head, ...entries] = Array.isArray(manifest) ? manifest : [];
    const prefixUri = (head as { prefix?: unknown } | undefined)?.prefix;
    if (typeof prefixUri !== 'string' || entries.some((entry) => typeof entry !== 'string')) {
      throw new JobFailure(
        `ClientError: the manifest file ${uri} is not [{"prefix": "s3://bucket/prefix/"}, "relative/key", ...]`,
      );
    }
    const prefix = /^s3:\/\/([^/]+)\/?(.*)$/.exec(prefixUri);
    if (!prefix)
      throw new JobFailure(`ClientError: the manifest file ${uri} has a prefix that is not an S3 URI`);
    for (const entry of entries as string[])
      objects.push({ location: { bucket: prefix[1] as string, key: `${prefix[2]}${entry}` }, path: entry });
  }
  let bytes = 0;
  for (const { location, path } of objects) {
    if (!insideFolder(path))
      throw new JobFailure(
        `ClientError: s3://${location.bucket}/${location.key} maps to ${path}, outside its folder`,
      );
    bytes += await download(s3, location, join(folder, path));
  }
  return { files: objects.length, bytes };
}

// ---------------------------------------------------------------- tarballs

/** Folders left out of a packed folder (`kaizen upload <folder>`). */
export const SKIPPED_FOLDERS: readonly string[] = ['.git', '__pycache__', 'node_modules'];

export interface PackedFolder {
  /** The gzipped tar. */
  archive: Buffer;
  /** The files it holds, relative to the folder, in archive order. */
  files: string[];
  /** Their total size before packing. */
  bytes: number;
}

/** Every entry under `folder`, relative and sorted (parents before children), skipping the named folders. */
async function folderEntries(
  folder: string,
  skip: readonly string[],
): Promise<{ paths: string[]; files: string[] }> {
  const paths: string[] = [];
  const files: string[] = [];
  const walk = async (relativeDir: string) => {
    const entries = await readdir(join(folder, relativeDir), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (skip.includes(entry.name)) continue;
        paths.push(path);
        await walk(path);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        paths.push(path);
        files.push(path);
      }
    }
  };
  await walk('');
  return { paths, files };
}

/**
 * Packs a folder as a gzipped tar the way SageMaker's `sourcedir.tar.gz` and `model.tar.gz` hold files:
 * paths relative to the folder, no absolute paths, sorted, without owner names and ids; every entry gets the
 * same mtime, so the same files always pack to the same bytes.
 */
export async function packFolder(folder: string, skip: readonly string[] = []): Promise<PackedFolder> {
  const { paths, files } = await folderEntries(folder, skip);
  let bytes = 0;
  for (const file of files) bytes += (await lstat(join(folder, file))).size;
  if (paths.length === 0) {
    // An empty archive: two zero blocks (tar refuses an empty list).
    return { archive: gzipSync(Buffer.alloc(1024)), files, bytes };
  }
  const chunks: Buffer[] = [];
  const stream = tar.create(
    { gzip: true, cwd: folder, portable: true, noDirRecurse: true, mtime: new Date(0), strict: true },
    paths,
  );
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return { archive: Buffer.concat(chunks), files, bytes };
}

async function putFile(s3: S3, target: S3Location, path: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: target.bucket, Key: target.key, Body: await readFile(path) }));
}

// ---------------------------------------------------------------- processes

interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The last lines of stdout and stderr, interleaved as they came. */
  tail: string;
  spawnError?: Error;
}

interface RunSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  maxRuntimeSeconds: number;
  log: WriteStream;
  /** The execution ended or was stopped: the job is stopped, as Step Functions stops a `.sync` job. */
  signal?: AbortSignal;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Runs a job's process in its own process group, logging its output, stopping it past its runtime. */
function runProcess(spec: RunSpec): Promise<RunOutcome> {
  return new Promise((resolveOutcome) => {
    let tail = '';
    let timedOut = false;
    let spawnError: Error | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      spec.log.write(chunk);
      tail = (tail + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup(child, 'SIGTERM');
      killer = setTimeout(() => killGroup(child, 'SIGKILL'), STOP_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, spec.maxRuntimeSeconds * 1000);
    spec.signal?.addEventListener('abort', stop, { once: true });
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // The container ends with its main process: whatever it left running goes too.
      killGroup(child, 'SIGKILL');
    });
    child.on('close', () => {
      spec.signal?.removeEventListener('abort', stop);
      clearTimeout(timer);
      clearTimeout(killer);
      const lines = tail.split('\n');
      if (lines.at(-1) === '') lines.pop();
      resolveOutcome({ ...exit, timedOut, tail: lines.slice(-TAIL_LINES).join('\n'), spawnError });
    });
  });
}

function baseEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, AWS_REGION: LOCAL_REGION, AWS_DEFAULT_REGION: LOCAL_REGION, PYTHONUNBUFFERED: '1' };
}

/**
 * Locally, `python3` in a job is `KAIZEN_PYTHON` when that is set (a python with the packages the job's image
 * would have, e.g. `/usr/bin/python3` with Debian's python3-sklearn, or a virtualenv's): a `python3` shim in
 * `<tmp>/bin`, first on the job's PATH, so the training entry point and a processing job's `exec python3` both
 * run it.
 */
async function useLocalPython(env: Record<string, string>, tmp: string, log: WriteStream): Promise<void> {
  const python = process.env.KAIZEN_PYTHON;
  if (!python || python === 'python3') return;
  const bin = join(tmp, 'bin');
  await mkdir(bin, { recursive: true });
  const shim = `#!/bin/sh\nexec '${python.replaceAll("'", `'\\''`)}' "$@"\n`;
  await writeFile(join(bin, 'python3'), shim, { mode: 0o755 });
  env.PATH = env.PATH ? `${bin}:${env.PATH}` : bin;
  log.write(`--- python3 is ${python} (KAIZEN_PYTHON)\n`);
}

/** `header` then as much of the end of `tail` as fits in SageMaker's 1,024 characters. */
function reason(header: string, tail: string): string {
  const room = REASON_CHARS - header.length - 1;
  if (!tail || room <= 0) return header.slice(0, REASON_CHARS);
  return `${header}\n${tail.length > room ? tail.slice(tail.length - room) : tail}`;
}

function stopReason(
  kind: string,
  outcome: RunOutcome,
  entry: string,
  maxRuntimeSeconds: number,
): string | undefined {
  if (outcome.timedOut) {
    return reason(
      `MaxRuntimeExceeded: ${kind} job runtime exceeded MaxRuntimeInSeconds provided (${maxRuntimeSeconds} s); the job was stopped`,
      outcome.tail,
    );
  }
  if (outcome.spawnError) return `AlgorithmError: could not start ${entry}: ${outcome.spawnError.message}`;
  if (outcome.code !== 0) {
    const how =
      outcome.code === null ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
    return reason(`AlgorithmError: ${entry} ${how}`, outcome.tail);
  }
  return undefined;
}

// ---------------------------------------------------------------- the integration

function arn(kind: 'training-job' | 'processing-job', name: string): string {
  return `arn:aws:sagemaker:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${kind}/${name.toLowerCase()}`;
}

async function isEmptyFolder(path: string): Promise<boolean> {
  return (await readdir(path).catch(() => [])).length === 0;
}

async function filesUnder(folder: string): Promise<string[]> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  await walk(folder);
  return files.sort();
}

/** The local SageMaker integration: training and processing jobs as local processes (see the module comment). */
export function sagemakerIntegration(options: SageMakerIntegrationOptions): LocalIntegration {
  const { home } = options;
  const s3 =
    options.s3 ??
    ({
      send: () =>
        Promise.reject(new Error('the local SageMaker runs jobs only on a local stack (no S3 client given)')),
    } as unknown as S3);
  const clock = options.clock ?? (() => new Date());
  const reachable = new Set<string>();

  /** Refuses a bucket this S3 does not have, naming the first field that uses it. */
  const checkBuckets = async (buckets: Map<string, string>) => {
    for (const [bucket, field] of buckets) {
      if (reachable.has(bucket)) continue;
      try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
        reachable.add(bucket);
      } catch (error) {
        throw invalid(field, `bucket ${bucket} cannot be reached (${(error as Error).name})`);
      }
    }
  };

  /** Keeps the request, once per name: SageMaker refuses a name used before. */
  const record = async (folder: string, kind: string, name: string, request: unknown) => {
    const dir = join(home, 'sagemaker', folder);
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(join(dir, `${name}.json`), `${JSON.stringify(request, null, 2)}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const jobArn = arn(folder === 'training-jobs' ? 'training-job' : 'processing-job', name);
      throw namedError(
        'SageMaker.ResourceInUseException',
        `${kind} job names must be unique within an AWS account and region, and a ${kind.toLowerCase()} job with this name already exists (${jobArn})`,
      );
    }
  };

  const openLog = async (name: string): Promise<{ log: WriteStream; path: string }> => {
    const dir = join(home, 'logs', 'sagemaker');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${name}.log`);
    return { log: createWriteStream(path, { flags: 'a' }), path };
  };

  const closeLog = (log: WriteStream) => new Promise<void>((done) => log.end(done));

  async function runTraining(request: CreateTrainingJobRequest, signal?: AbortSignal): Promise<unknown> {
    const plan = validateTraining(request);
    await checkBuckets(plan.buckets);
    await record('training-jobs', 'Training', plan.name, request);
    const created = clock();
    const describe: Record<string, unknown> = {
      TrainingJobName: plan.name,
      TrainingJobArn: arn('training-job', plan.name),
      TrainingJobStatus: 'InProgress',
      SecondaryStatus: 'Starting',
      HyperParameters: request.HyperParameters ?? {},
      AlgorithmSpecification: request.AlgorithmSpecification,
      RoleArn: request.RoleArn,
      InputDataConfig: request.InputDataConfig ?? [],
      OutputDataConfig: request.OutputDataConfig,
      ResourceConfig: request.ResourceConfig,
      StoppingCondition: request.StoppingCondition,
      CreationTime: created.toISOString(),
    };
    const tmp = await mkdtemp(join(tmpdir(), `kaizen-sagemaker-${plan.name}-`));
    const root = join(tmp, 'opt', 'ml');
    const { log } = await openLog(plan.name);
    const jobOutput = joinKey(plan.output.key, `${plan.name}/output`);
    let started = created;
    try {
      log.write(`--- ${created.toISOString()} CreateTrainingJob ${plan.name}\n`);
      const dirs = {
        input: join(root, 'input'),
        config: join(root, 'input', 'config'),
        data: join(root, 'input', 'data'),
        code: join(root, 'code'),
        model: join(root, 'model'),
        output: join(root, 'output'),
        outputData: join(root, 'output', 'data'),
        intermediate: join(root, 'output', 'intermediate'),
      };
      for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
      const channelDirs: Record<string, string> = {};
      for (const channel of plan.channels) channelDirs[channel.name] = join(dirs.data, channel.name);
      try {
        if (plan.submitDirectory) {
          const archive = join(tmp, 'sourcedir.tar.gz');
          await download(s3, plan.submitDirectory, archive);
          await tar.x({ file: archive, cwd: dirs.code, strict: true }).catch((error: Error) => {
            throw new JobFailure(
              `ClientError: sagemaker_submit_directory is not a gzipped tar: ${error.message}`,
            );
          });
          await rm(archive);
        }
        for (const channel of plan.channels) {
          await mkdir(channelDirs[channel.name] as string, { recursive: true });
          const got = await downloadSource(
            s3,
            channel.dataType,
            channel.source,
            channel.uri,
            channelDirs[channel.name] as string,
          );
          log.write(
            `--- channel ${channel.name}: ${got.files} files, ${got.bytes} bytes from ${channel.uri}\n`,
          );
        }
        const entryPath = resolve(dirs.code, plan.program);
        if (!(await stat(entryPath).catch(() => undefined))?.isFile()) {
          throw new JobFailure(
            `AlgorithmError: the entry point ${plan.program} is not in the code${plan.submitDirectory ? ` of ${decodeHyperparameter(request.HyperParameters?.sagemaker_submit_directory as string)}` : ' (no sagemaker_submit_directory given)'}`,
          );
        }
      } catch (error) {
        if (error instanceof JobFailure) throw error;
        throw new JobFailure(`ClientError: ${(error as Error).message}`);
      }

      const hyperparameters = Object.fromEntries(
        Object.entries(plan.userHyperparameters).map(([key, value]) => [key, decodeHyperparameter(value)]),
      );
      const inputDataConfig = Object.fromEntries(
        plan.channels.map((channel) => [channel.name, channel.config]),
      );
      const resourceConfig = {
        current_host: HOST,
        current_instance_type: plan.instanceType,
        current_group_name: 'homogeneousCluster',
        hosts: [HOST],
        instance_groups: [
          { instance_group_name: 'homogeneousCluster', instance_type: plan.instanceType, hosts: [HOST] },
        ],
        network_interface_name: 'eth0',
      };
      await writeFile(
        join(dirs.config, 'hyperparameters.json'),
        JSON.stringify(request.HyperParameters ?? {}),
      );
      await writeFile(join(dirs.config, 'inputdataconfig.json'), JSON.stringify(inputDataConfig));
      await writeFile(join(dirs.config, 'resourceconfig.json'), JSON.stringify(resourceConfig));

      const args = userArguments(hyperparameters);
      const moduleDir = decodeHyperparameter(
        request.HyperParameters?.sagemaker_submit_directory as string | undefined,
      );
      const trainingEnv = {
        channel_input_dirs: channelDirs,
        current_host: HOST,
        hosts: [HOST],
        hyperparameters,
        input_config_dir: dirs.config,
        input_data_config: inputDataConfig,
        input_dir: dirs.input,
        job_name: plan.name,
        log_level: 20,
        model_dir: dirs.model,
        module_dir: moduleDir ?? dirs.code,
        module_name: plan.program.replace(/\.[^.]*$/, ''),
        network_interface_name: 'eth0',
        num_cpus: availableParallelism(),
        num_gpus: 0,
        output_data_dir: dirs.outputData,
        output_dir: dirs.output,
        output_intermediate_dir: dirs.intermediate,
        resource_config: resourceConfig,
        user_entry_point: plan.program,
      };
      const env: Record<string, string> = {
        ...baseEnvironment(),
        SAGEMAKER_BASE_DIR: root,
        TRAINING_JOB_NAME: plan.name,
        TRAINING_JOB_ARN: arn('training-job', plan.name),
        SM_MODEL_DIR: dirs.model,
        SM_CHANNELS: pythonJson(Object.keys(channelDirs).sort()),
        SM_HPS: pythonJson(hyperparameters),
        SM_INPUT_DIR: dirs.input,
        SM_INPUT_CONFIG_DIR: dirs.config,
        SM_OUTPUT_DIR: dirs.output,
        SM_OUTPUT_DATA_DIR: dirs.outputData,
        SM_OUTPUT_INTERMEDIATE_DIR: dirs.intermediate,
        SM_CURRENT_HOST: HOST,
        SM_HOSTS: pythonJson([HOST]),
        SM_CURRENT_INSTANCE_TYPE: plan.instanceType,
        SM_NUM_CPUS: String(availableParallelism()),
        SM_NUM_GPUS: '0',
        SM_LOG_LEVEL: '20',
        SM_NETWORK_INTERFACE_NAME: 'eth0',
        SM_USER_ENTRY_POINT: plan.program,
        SM_MODULE_NAME: trainingEnv.module_name,
        SM_MODULE_DIR: envValue(trainingEnv.module_dir),
        SM_FRAMEWORK_PARAMS: '{}',
        SM_RESOURCE_CONFIG: pythonJson(resourceConfig),
        SM_INPUT_DATA_CONFIG: pythonJson(inputDataConfig),
        SM_USER_ARGS: pythonJson(args),
        SM_TRAINING_ENV: pythonJson(trainingEnv),
      };
      for (const [channel, dir] of Object.entries(channelDirs))
        env[`SM_CHANNEL_${channel.toUpperCase()}`] = dir;
      for (const [key, value] of Object.entries(hyperparameters))
        env[`SM_HP_${key.toUpperCase()}`] = envValue(value);
      await useLocalPython(env, tmp, log);

      started = clock();
      describe.TrainingStartTime = started.toISOString();
      const command = plan.interpreter;
      const commandArgs = [plan.program, ...args];
      log.write(`--- ${started.toISOString()} ${[command, ...commandArgs].join(' ')}\n`);
      const outcome = await runProcess({
        command,
        args: commandArgs,
        cwd: dirs.code,
        env,
        maxRuntimeSeconds: plan.maxRuntimeSeconds,
        log,
        signal,
      });
      log.write(
        `--- ${clock().toISOString()} ${outcome.timedOut ? 'stopped past MaxRuntimeInSeconds' : `exit ${outcome.code ?? outcome.signal}`}\n`,
      );
      const failureFile = await readFile(join(dirs.output, 'failure'), 'utf8').catch(() => undefined);
      const stopped = stopReason('Training', outcome, plan.program, plan.maxRuntimeSeconds);
      if (outcome.timedOut) throw new JobFailure(stopped as string, 'MaxRuntimeExceeded');
      if (failureFile !== undefined && failureFile.trim() !== '')
        throw new JobFailure(failureFile.trim().slice(0, REASON_CHARS));
      if (stopped) throw new JobFailure(stopped);

      describe.SecondaryStatus = 'Uploading';
      const model = await packFolder(dirs.model);
      const modelKey = joinKey(jobOutput, 'model.tar.gz');
      await s3.send(new PutObjectCommand({ Bucket: plan.output.bucket, Key: modelKey, Body: model.archive }));
      log.write(`--- model.tar.gz: ${model.files.length} files to s3://${plan.output.bucket}/${modelKey}\n`);
      if (!(await isEmptyFolder(dirs.outputData))) {
        const output = await packFolder(dirs.outputData);
        const outputKey = joinKey(jobOutput, 'output.tar.gz');
        await s3.send(
          new PutObjectCommand({ Bucket: plan.output.bucket, Key: outputKey, Body: output.archive }),
        );
        log.write(
          `--- output.tar.gz: ${output.files.length} files to s3://${plan.output.bucket}/${outputKey}\n`,
        );
      }
      const ended = clock();
      const seconds = Math.max(0, Math.round((ended.getTime() - started.getTime()) / 1000));
      return {
        ...describe,
        TrainingJobStatus: 'Completed',
        SecondaryStatus: 'Completed',
        ModelArtifacts: { S3ModelArtifacts: `s3://${plan.output.bucket}/${modelKey}` },
        TrainingEndTime: ended.toISOString(),
        LastModifiedTime: ended.toISOString(),
        TrainingTimeInSeconds: seconds,
        BillableTimeInSeconds: seconds,
      };
    } catch (error) {
      if (!(error instanceof JobFailure)) throw error;
      const ended = clock();
      log.write(`--- ${ended.toISOString()} Failed: ${error.reason}\n`);
      throw taskFailed({
        ...describe,
        TrainingJobStatus: 'Failed',
        SecondaryStatus: error.secondaryStatus,
        FailureReason: error.reason,
        TrainingStartTime: describe.TrainingStartTime ?? started.toISOString(),
        TrainingEndTime: ended.toISOString(),
        LastModifiedTime: ended.toISOString(),
      });
    } finally {
      await closeLog(log);
      await rm(tmp, { recursive: true, force: true });
    }
  }

  async function runProcessing(request: CreateProcessingJobRequest, signal?: AbortSignal): Promise<unknown> {
    const plan = validateProcessing(request);
    await checkBuckets(plan.buckets);
    await record('processing-jobs', 'Processing', plan.name, request);
    const created = clock();
    const describe: Record<string, unknown> = {
      ProcessingJobName: plan.name,
      ProcessingJobArn: arn('processing-job', plan.name),
      ProcessingJobStatus: 'InProgress',
      AppSpecification: request.AppSpecification,
      ProcessingInputs: request.ProcessingInputs ?? [],
      ProcessingOutputConfig: request.ProcessingOutputConfig ?? { Outputs: [] },
      ProcessingResources: request.ProcessingResources,
      StoppingCondition: request.StoppingCondition ?? { MaxRuntimeInSeconds: plan.maxRuntimeSeconds },
      Environment: request.Environment ?? {},
      RoleArn: request.RoleArn,
      CreationTime: created.toISOString(),
    };
    const tmp = await mkdtemp(join(tmpdir(), `kaizen-sagemaker-${plan.name}-`));
    const root = join(tmp, 'opt', 'ml');
    // `/opt/ml` as a whole path segment (not `/opt/mlflow`), anywhere in a string.
    const mapPaths = (text: string) => text.replace(/\/opt\/ml(?=\/|$|[^A-Za-z0-9_.-])/g, root);
    const local = (containerPath: string) => join(tmp, containerPath);
    const { log } = await openLog(plan.name);
    let started = created;
    try {
      log.write(`--- ${created.toISOString()} CreateProcessingJob ${plan.name}\n`);
      await mkdir(join(root, 'config'), { recursive: true });
      await mkdir(join(root, 'output'), { recursive: true });
      try {
        for (const input of plan.inputs) {
          const folder = local(input.localPath);
          await mkdir(folder, { recursive: true });
          const got = await downloadSource(s3, input.dataType, input.source, input.uri, folder);
          log.write(`--- input ${input.name}: ${got.files} files, ${got.bytes} bytes from ${input.uri}\n`);
        }
        for (const output of plan.outputs) await mkdir(local(output.localPath), { recursive: true });
      } catch (error) {
        if (error instanceof JobFailure) throw error;
        throw new JobFailure(`ClientError: ${(error as Error).message}`);
      }
      await writeFile(join(root, 'config', 'processingjobconfig.json'), JSON.stringify(request));
      await writeFile(
        join(root, 'config', 'resourceconfig.json'),
        JSON.stringify({ current_host: HOST, hosts: [HOST] }),
      );

      const env: Record<string, string> = { ...baseEnvironment() };
      for (const [key, value] of Object.entries(plan.environment)) env[key] = mapPaths(value);
      await useLocalPython(env, tmp, log);
      const command = mapPaths(plan.command);
      const args = plan.args.map(mapPaths);
      started = clock();
      describe.ProcessingStartTime = started.toISOString();
      log.write(`--- ${started.toISOString()} ${[command, ...args].join(' ')}\n`);
      const outcome = await runProcess({
        command,
        args,
        cwd: tmp,
        env,
        maxRuntimeSeconds: plan.maxRuntimeSeconds,
        log,
        signal,
      });
      log.write(
        `--- ${clock().toISOString()} ${outcome.timedOut ? 'stopped past MaxRuntimeInSeconds' : `exit ${outcome.code ?? outcome.signal}`}\n`,
      );
      describe.ExitMessage = outcome.tail.slice(-REASON_CHARS);
      const stopped = stopReason('Processing', outcome, plan.command, plan.maxRuntimeSeconds);
      if (stopped) throw new JobFailure(stopped);

      for (const output of plan.outputs) {
        const folder = local(output.localPath);
        const files = await filesUnder(folder);
        for (const file of files) {
          const key = joinKey(output.target.key, relative(folder, file).split(sep).join('/'));
          await putFile(s3, { bucket: output.target.bucket, key }, file);
        }
        log.write(
          `--- output ${output.name}: ${files.length} files to s3://${output.target.bucket}/${output.target.key}\n`,
        );
      }
      const ended = clock();
      return {
        ...describe,
        ProcessingJobStatus: 'Completed',
        ProcessingEndTime: ended.toISOString(),
        LastModifiedTime: ended.toISOString(),
      };
    } catch (error) {
      if (!(error instanceof JobFailure)) throw error;
      const ended = clock();
      log.write(`--- ${ended.toISOString()} Failed: ${error.reason}\n`);
      throw taskFailed({
        ...describe,
        ProcessingJobStatus: 'Failed',
        FailureReason: error.reason,
        ProcessingStartTime: describe.ProcessingStartTime ?? started.toISOString(),
        ProcessingEndTime: ended.toISOString(),
        LastModifiedTime: ended.toISOString(),
      });
    } finally {
      await closeLog(log);
      await rm(tmp, { recursive: true, force: true });
    }
  }

  return {
    target(resource) {
      if (resource === SAGEMAKER_CREATE_TRAINING_JOB_SYNC) return TRAINING_JOB_TARGET;
      if (resource === SAGEMAKER_CREATE_PROCESSING_JOB_SYNC) return PROCESSING_JOB_TARGET;
      return undefined;
    },
    async run({ state, target, input, beforeTask, signal }) {
      await beforeTask?.({ state, step: target, input });
      if (target === TRAINING_JOB_TARGET)
        return runTraining((input ?? {}) as CreateTrainingJobRequest, signal);
      return runProcessing((input ?? {}) as CreateProcessingJobRequest, signal);
    },
  };
}
