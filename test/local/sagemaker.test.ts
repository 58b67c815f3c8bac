import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
  SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
} from '#contracts/workflows.ts';
import { LocalEngine } from '#local/engine.ts';
import {
  type CreateProcessingJobRequest,
  type CreateTrainingJobRequest,
  PROCESSING_JOB_TARGET,
  packFolder,
  sagemakerIntegration,
  TRAINING_JOB_TARGET,
} from '#local/integrations/sagemaker.ts';
import type { LocalIntegration } from '#local/integrations/types.ts';
import { useLocalStack } from '../support/stack.ts';

const local = useLocalStack();
const BUCKET = 'kaizen-artifacts';
const CODE_KEY = 'code/churn/sourcedir.tar.gz';
const NOW = new Date('2026-11-20T00:00:00.000Z');

/** Dependency-free entry points, packed as the SDK packs `sourcedir.tar.gz`. */
const SCRIPTS: Record<string, string> = {
  'train.mjs': `
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
const env = process.env;
const dir = env.SM_CHANNEL_TRAIN;
const rows = readdirSync(dir).flatMap((file) => readFileSync(join(dir, file), 'utf8').trim().split('\\n').slice(1));
const sum = rows.reduce((total, row) => total + Number(row.split(',')[1]), 0);
const hps = JSON.parse(env.SM_HPS);
console.log('training on', rows.length, 'rows');
console.error('a warning on stderr');
writeFileSync(join(env.SM_MODEL_DIR, 'model.json'), JSON.stringify({
  rows: rows.length,
  weight: sum * hps.n_estimators,
  hps,
  argv: process.argv.slice(2),
  channels: JSON.parse(env.SM_CHANNELS),
  hpEnv: env.SM_HP_N_ESTIMATORS,
  host: env.SM_CURRENT_HOST,
  hosts: JSON.parse(env.SM_HOSTS),
  trainingEnv: JSON.parse(env.SM_TRAINING_ENV).job_name,
  configs: readdirSync(env.SM_INPUT_CONFIG_DIR).sort(),
  hyperparameters: JSON.parse(readFileSync(join(env.SM_INPUT_CONFIG_DIR, 'hyperparameters.json'), 'utf8')),
  cwdHasCode: existsSync('train.mjs'),
  leaked: env.VITEST ?? null,
}));
mkdirSync(env.SM_OUTPUT_DATA_DIR, { recursive: true });
writeFileSync(join(env.SM_OUTPUT_DATA_DIR, 'metrics.json'), JSON.stringify({ rows: rows.length }));
`,
  'files.mjs': `
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const dir = process.env.SM_CHANNEL_TRAIN;
const files = readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
  .sort();
writeFileSync(join(process.env.SM_MODEL_DIR, 'files.json'), JSON.stringify(files));
`,
  'fail.mjs': `
for (let i = 1; i <= 60; i++) console.log('progress line ' + i);
console.error('Traceback: boom, the data has no label column');
process.exit(3);
`,
  'failure-file.mjs': `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
writeFileSync(join(process.env.SM_OUTPUT_DIR, 'failure'), 'bad data: no rows in the training channel\\n');
process.exit(0);
`,
  // Ignores SIGTERM (as does the sleep it waits for): only the SIGKILL that follows ends it.
  'sleep.sh': `trap '' TERM
echo sleeping
sleep 30
echo never
`,
  'train.sh': `#!/bin/bash
set -euo pipefail
echo "args: $*" > "$SM_MODEL_DIR/model.txt"
cat "$SM_CHANNEL_TRAIN"/*.csv | wc -l | tr -d ' ' >> "$SM_MODEL_DIR/model.txt"
echo "hp: $SM_HP_LABEL" >> "$SM_MODEL_DIR/model.txt"
`,
};

let integration: LocalIntegration;
let scratch: string;

beforeAll(async () => {
  integration = sagemakerIntegration({ home: local.home, s3: local.ctx.s3, clock: () => NOW });
  scratch = await mkdtemp(join(tmpdir(), 'kaizen-sagemaker-test-'));
  const code = join(scratch, 'code');
  await mkdir(code, { recursive: true });
  for (const [name, text] of Object.entries(SCRIPTS)) await writeFile(join(code, name), text);
  await put(CODE_KEY, (await packFolder(code)).archive);
  await put('datasets/churn/train/part-1.csv', 'tenure,charges\n1,10\n2,20\n');
  await put('datasets/churn/train/part-2.csv', 'tenure,charges\n3,30\n');
  await put('datasets/churn/other.csv', 'tenure,charges\n9,90\n');
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function put(key: string, body: string | Uint8Array): Promise<void> {
  await local.ctx.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function get(key: string): Promise<Buffer> {
  const output = await local.ctx.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from((await output.Body?.transformToByteArray()) ?? []);
}

/** The entries of a gzipped tar object and the text of each file. */
async function unpack(key: string): Promise<{ entries: string[]; files: Record<string, string> }> {
  const dir = await mkdtemp(join(scratch, 'unpack-'));
  const file = join(dir, 'archive.tar.gz');
  await writeFile(file, await get(key));
  const entries: string[] = [];
  await tar.t({ file, onReadEntry: (entry) => entries.push(entry.path) });
  const out = join(dir, 'out');
  await mkdir(out);
  await tar.x({ file, cwd: out });
  const files: Record<string, string> = {};
  for (const entry of entries)
    if (!entry.endsWith('/')) files[entry] = await readFile(join(out, entry), 'utf8');
  return { entries, files };
}

function trainingJob(
  name: string,
  overrides: Partial<CreateTrainingJobRequest> = {},
): CreateTrainingJobRequest {
  return {
    TrainingJobName: name,
    RoleArn: 'arn:aws:iam::000000000000:role/kaizen-sagemaker',
    AlgorithmSpecification: { TrainingImage: 'local/sklearn:1.2', TrainingInputMode: 'File' },
    HyperParameters: {
      sagemaker_program: '"train.mjs"',
      sagemaker_submit_directory: `"s3://${BUCKET}/${CODE_KEY}"`,
      n_estimators: '200',
      label: '"churned"',
    },
    InputDataConfig: [
      {
        ChannelName: 'train',
        DataSource: {
          S3DataSource: {
            S3DataType: 'S3Prefix',
            S3Uri: `s3://${BUCKET}/datasets/churn/train/`,
            S3DataDistributionType: 'FullyReplicated',
          },
        },
      },
    ],
    OutputDataConfig: { S3OutputPath: `s3://${BUCKET}/models/churn/exec-1` },
    ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
    StoppingCondition: { MaxRuntimeInSeconds: 300 },
    ...overrides,
  };
}

function withProgram(program: string): Record<string, string> {
  return { ...trainingJob('x').HyperParameters, sagemaker_program: JSON.stringify(program) } as Record<
    string,
    string
  >;
}

function train(request: unknown): Promise<Record<string, unknown>> {
  return integration.run({
    state: 'Train',
    resource: SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
    target: TRAINING_JOB_TARGET,
    input: request,
  }) as Promise<Record<string, unknown>>;
}

function processing(request: unknown): Promise<Record<string, unknown>> {
  return integration.run({
    state: 'Prepare',
    resource: SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
    target: PROCESSING_JOB_TARGET,
    input: request,
  }) as Promise<Record<string, unknown>>;
}

/** The Describe response a failed `.sync` task carries as its cause. */
async function failure(job: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = (await job.then(
    () => {
      throw new Error('the job completed');
    },
    (thrown: unknown) => thrown,
  )) as Error;
  expect(error.name).toBe('States.TaskFailed');
  return JSON.parse(error.message) as Record<string, unknown>;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await local.ctx.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key as string).sort();
}

describe('the local SageMaker integration', () => {
  it('names the two .sync resources and nothing else', () => {
    expect(integration.target(SAGEMAKER_CREATE_TRAINING_JOB_SYNC)).toBe('sagemaker:createTrainingJob');
    expect(integration.target(SAGEMAKER_CREATE_PROCESSING_JOB_SYNC)).toBe('sagemaker:createProcessingJob');
    expect(integration.target('arn:aws:states:::sagemaker:createTrainingJob')).toBeUndefined();
  });
});

describe('training jobs', () => {
  it('runs the entry point in script mode and uploads model.tar.gz as SageMaker does', async () => {
    // The job sees none of this process's environment but PATH, HOME, locale and temp settings.
    expect(process.env.VITEST).toBeDefined();
    const before: unknown[] = [];
    const request = trainingJob('churn-exec-1-train');
    const result = await integration.run({
      state: 'Train',
      resource: SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
      target: TRAINING_JOB_TARGET,
      input: request,
      beforeTask: (info) => {
        before.push(info);
      },
    });
    expect(before).toEqual([{ state: 'Train', step: 'sagemaker:createTrainingJob', input: request }]);
    const modelKey = 'models/churn/exec-1/churn-exec-1-train/output/model.tar.gz';
    expect(result).toEqual({
      ...request,
      TrainingJobArn: 'arn:aws:sagemaker:us-east-1:000000000000:training-job/churn-exec-1-train',
      TrainingJobStatus: 'Completed',
      SecondaryStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: `s3://${BUCKET}/${modelKey}` },
      CreationTime: NOW.toISOString(),
      TrainingStartTime: NOW.toISOString(),
      TrainingEndTime: NOW.toISOString(),
      LastModifiedTime: NOW.toISOString(),
      TrainingTimeInSeconds: 0,
      BillableTimeInSeconds: 0,
    });

    const model = await unpack(modelKey);
    expect(model.entries).toEqual(['model.json']);
    expect(JSON.parse(model.files['model.json'] as string)).toEqual({
      rows: 3,
      weight: 60 * 200,
      hps: { n_estimators: 200, label: 'churned' },
      argv: ['--label', 'churned', '--n_estimators', '200'],
      channels: ['train'],
      hpEnv: '200',
      host: 'algo-1',
      hosts: ['algo-1'],
      trainingEnv: 'churn-exec-1-train',
      configs: ['hyperparameters.json', 'inputdataconfig.json', 'resourceconfig.json'],
      hyperparameters: request.HyperParameters,
      cwdHasCode: true,
      leaked: null,
    });
    const output = await unpack('models/churn/exec-1/churn-exec-1-train/output/output.tar.gz');
    expect(JSON.parse(output.files['metrics.json'] as string)).toEqual({ rows: 3 });

    const log = await readFile(join(local.home, 'logs/sagemaker/churn-exec-1-train.log'), 'utf8');
    expect(log).toContain('training on 3 rows');
    expect(log).toContain('a warning on stderr');
    const recorded = await readFile(
      join(local.home, 'sagemaker/training-jobs/churn-exec-1-train.json'),
      'utf8',
    );
    expect(JSON.parse(recorded)).toEqual(request);
  });

  it('downloads a manifest file channel, keeping each listed key as a relative path', async () => {
    await put('datasets/manifest/a/one.csv', 'x,y\n1,2\n');
    await put('datasets/manifest/b/two.csv', 'x,y\n3,4\n');
    await put('datasets/manifest/c/not-listed.csv', 'x,y\n5,6\n');
    await put(
      'manifests/train.manifest',
      JSON.stringify([{ prefix: `s3://${BUCKET}/datasets/manifest/` }, 'a/one.csv', 'b/two.csv']),
    );
    const request = trainingJob('manifest-job', {
      HyperParameters: withProgram('files.mjs'),
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: {
            S3DataSource: { S3DataType: 'ManifestFile', S3Uri: `s3://${BUCKET}/manifests/train.manifest` },
          },
        },
      ],
    });
    await train(request);
    const model = await unpack('models/churn/exec-1/manifest-job/output/model.tar.gz');
    expect(JSON.parse(model.files['files.json'] as string)).toEqual(['a/one.csv', 'b/two.csv']);
  });

  it('lays out an S3Prefix without a trailing slash from the prefix’s last "/"', async () => {
    const request = trainingJob('prefix-job', {
      HyperParameters: withProgram('files.mjs'),
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://${BUCKET}/datasets/churn/tr` } },
        },
      ],
    });
    await train(request);
    const model = await unpack('models/churn/exec-1/prefix-job/output/model.tar.gz');
    expect(JSON.parse(model.files['files.json'] as string)).toEqual(['train/part-1.csv', 'train/part-2.csv']);
  });

  it('fails with States.TaskFailed and the output’s tail when the entry point exits non-zero', async () => {
    const describe = await failure(
      train(trainingJob('failing-job', { HyperParameters: withProgram('fail.mjs') })),
    );
    expect(describe).toMatchObject({
      TrainingJobName: 'failing-job',
      TrainingJobStatus: 'Failed',
      SecondaryStatus: 'Failed',
    });
    const reason = describe.FailureReason as string;
    expect(reason).toMatch(/^AlgorithmError: fail\.mjs exited with code 3\n/);
    expect(reason).toContain('Traceback: boom, the data has no label column');
    expect(reason).toContain('progress line 60');
    expect(reason).not.toContain('progress line 1\n');
    expect(reason.length).toBeLessThanOrEqual(1024);
    expect(await keysUnder('models/churn/exec-1/failing-job/')).toEqual([]);
  });

  it('reports the text of /opt/ml/output/failure, even after exit code 0', async () => {
    const describe = await failure(
      train(trainingJob('failure-file-job', { HyperParameters: withProgram('failure-file.mjs') })),
    );
    expect(describe.TrainingJobStatus).toBe('Failed');
    expect(describe.FailureReason).toBe('bad data: no rows in the training channel');
  });

  it('stops a job past MaxRuntimeInSeconds, killing its whole process group', async () => {
    const describe = await failure(
      train(
        trainingJob('slow-job', {
          HyperParameters: withProgram('sleep.sh'),
          StoppingCondition: { MaxRuntimeInSeconds: 1 },
        }),
      ),
    );
    expect(describe).toMatchObject({ TrainingJobStatus: 'Failed', SecondaryStatus: 'MaxRuntimeExceeded' });
    expect(describe.FailureReason).toMatch(/^MaxRuntimeExceeded: .*MaxRuntimeInSeconds provided \(1 s\)/);
    expect(describe.FailureReason).toContain('sleeping');
    expect(describe.FailureReason).not.toContain('never');
  });

  it('refuses a job name used before, as SageMaker does', async () => {
    const request = trainingJob('once-only', { HyperParameters: withProgram('files.mjs') });
    await train(request);
    await expect(train(request)).rejects.toMatchObject({
      name: 'SageMaker.ResourceInUseException',
      message: expect.stringContaining(
        'Training job names must be unique within an AWS account and region, and a training job with this name already exists (arn:aws:sagemaker:us-east-1:000000000000:training-job/once-only)',
      ),
    });
  });

  it('runs a .sh entry point with bash', async () => {
    await train(trainingJob('shell-job', { HyperParameters: withProgram('train.sh') }));
    const model = await unpack('models/churn/exec-1/shell-job/output/model.tar.gz');
    expect(model.files['model.txt']).toBe('args: --label churned --n_estimators 200\n5\nhp: churned\n');
  });

  it.each([
    ['a missing job name', { TrainingJobName: undefined }, /^TrainingJobName: is required/],
    [
      'a name SageMaker refuses',
      { TrainingJobName: 'bad_name' },
      /^TrainingJobName: "bad_name" does not match/,
    ],
    [
      'no entry point',
      { HyperParameters: { n_estimators: '200' } },
      /^HyperParameters\.sagemaker_program: is required/,
    ],
    [
      'an entry point no local interpreter runs',
      { HyperParameters: withProgram('train.rb') },
      /^HyperParameters\.sagemaker_program: train\.rb: .*not "\.rb"/,
    ],
    [
      'a hyperparameter that is not a string',
      { HyperParameters: { ...withProgram('train.mjs'), n: 3 } },
      /^HyperParameters\.n: must be a string/,
    ],
    [
      'a channel in a bucket that cannot be reached',
      {
        InputDataConfig: [
          {
            ChannelName: 'train',
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://no-such-bucket/x/' } },
          },
        ],
      },
      /^InputDataConfig\[0\]\.DataSource\.S3DataSource\.S3Uri: bucket no-such-bucket cannot be reached/,
    ],
    [
      'an output path that is no S3 URI',
      { OutputDataConfig: { S3OutputPath: 'models/x' } },
      /^OutputDataConfig\.S3OutputPath: "models\/x" is not an S3 URI/,
    ],
    [
      'no stopping condition',
      { StoppingCondition: undefined },
      /^StoppingCondition\.MaxRuntimeInSeconds: must be an integer/,
    ],
  ])('refuses %s with SageMaker.ValidationException naming the field', async (_case, overrides, message) => {
    const request = trainingJob('validated-job', overrides as Partial<CreateTrainingJobRequest>);
    const error = (await train(request).catch((thrown: unknown) => thrown)) as Error;
    expect(error.name).toBe('SageMaker.ValidationException');
    expect(error.message).toMatch(message);
  });

  it('keeps no record of a refused request: the name stays free', async () => {
    const entries = await readdir(join(local.home, 'sagemaker/training-jobs'));
    expect(entries).not.toContain('validated-job.json');
  });
});

describe('processing jobs', () => {
  function processingJob(name: string, script: string, overrides: Partial<CreateProcessingJobRequest> = {}) {
    return {
      ProcessingJobName: name,
      RoleArn: 'arn:aws:iam::000000000000:role/kaizen-sagemaker',
      AppSpecification: { ImageUri: 'local/sklearn:1.2', ContainerEntrypoint: ['bash', '-c', script] },
      ProcessingInputs: [
        {
          InputName: 'data',
          S3Input: {
            S3Uri: `s3://${BUCKET}/datasets/churn/train/`,
            LocalPath: '/opt/ml/processing/input/data',
            S3DataType: 'S3Prefix',
            S3InputMode: 'File',
          },
        },
      ],
      ProcessingOutputConfig: {
        Outputs: [
          {
            OutputName: 'prepared',
            S3Output: {
              S3Uri: `s3://${BUCKET}/prepared/${name}`,
              LocalPath: '/opt/ml/processing/output',
              S3UploadMode: 'EndOfJob',
            },
          },
        ],
      },
      ProcessingResources: {
        ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.t3.medium', VolumeSizeInGB: 5 },
      },
      StoppingCondition: { MaxRuntimeInSeconds: 60 },
      Environment: { WHERE: '/opt/ml/processing/output/where.txt' },
      ...overrides,
    } satisfies CreateProcessingJobRequest;
  }

  it('maps /opt/ml paths, reads its inputs and uploads its outputs to the output S3Uri', async () => {
    const script = [
      'set -e',
      'cat /opt/ml/processing/input/data/*.csv | grep -v tenure > /opt/ml/processing/output/rows.csv',
      'mkdir -p /opt/ml/processing/output/nested',
      'echo "$1" > /opt/ml/processing/output/nested/arg.txt',
      'echo "$WHERE" > "$WHERE"',
      'echo prepared',
    ].join('\n');
    const request = processingJob('prepare-job', script, {
      AppSpecification: {
        ImageUri: 'local/sklearn:1.2',
        ContainerEntrypoint: ['bash', '-c', script, 'prepare'],
        ContainerArguments: ['--split=0.2'],
      },
    });
    const result = await processing(request);
    expect(result).toEqual({
      ...request,
      ProcessingJobArn: 'arn:aws:sagemaker:us-east-1:000000000000:processing-job/prepare-job',
      ProcessingJobStatus: 'Completed',
      ExitMessage: 'prepared',
      CreationTime: NOW.toISOString(),
      ProcessingStartTime: NOW.toISOString(),
      ProcessingEndTime: NOW.toISOString(),
      LastModifiedTime: NOW.toISOString(),
    });
    expect(await keysUnder('prepared/prepare-job/')).toEqual([
      'prepared/prepare-job/nested/arg.txt',
      'prepared/prepare-job/rows.csv',
      'prepared/prepare-job/where.txt',
    ]);
    expect((await get('prepared/prepare-job/rows.csv')).toString()).toBe('1,10\n2,20\n3,30\n');
    expect((await get('prepared/prepare-job/nested/arg.txt')).toString()).toBe('--split=0.2\n');
    const where = (await get('prepared/prepare-job/where.txt')).toString().trim();
    expect(where).toMatch(/\/opt\/ml\/processing\/output\/where\.txt$/);
    expect(where).not.toBe('/opt/ml/processing/output/where.txt');
    const log = await readFile(join(local.home, 'logs/sagemaker/prepare-job.log'), 'utf8');
    expect(log).toContain('prepared');
    await expect(
      readFile(join(local.home, 'sagemaker/processing-jobs/prepare-job.json'), 'utf8').then(JSON.parse),
    ).resolves.toEqual(request);
  });

  it('fails with States.TaskFailed, the exit code and the output’s tail; nothing is uploaded', async () => {
    const describe = await failure(
      processing(
        processingJob('broken-prepare', 'echo partial > /opt/ml/processing/output/x; echo oops >&2; exit 2'),
      ),
    );
    expect(describe).toMatchObject({ ProcessingJobName: 'broken-prepare', ProcessingJobStatus: 'Failed' });
    expect(describe.FailureReason).toBe('AlgorithmError: bash exited with code 2\noops');
    expect(describe.ExitMessage).toBe('oops');
    expect(await keysUnder('prepared/broken-prepare/')).toEqual([]);
  });

  it('fails when its entry point cannot be started', async () => {
    const job = processingJob('no-command', 'true');
    const describe = await failure(
      processing({
        ...job,
        AppSpecification: { ...job.AppSpecification, ContainerEntrypoint: ['kaizen-no-such-command'] },
      }),
    );
    expect(describe.FailureReason).toMatch(
      /^AlgorithmError: could not start kaizen-no-such-command: .*ENOENT/,
    );
  });

  it('refuses a name used before and a LocalPath outside /opt/ml/processing', async () => {
    await processing(processingJob('prepare-once', 'true'));
    await expect(processing(processingJob('prepare-once', 'true'))).rejects.toMatchObject({
      name: 'SageMaker.ResourceInUseException',
    });
    const outside = processingJob('outside', 'true');
    const [input] = outside.ProcessingInputs;
    const bad = {
      ...outside,
      ProcessingInputs: [{ ...input, S3Input: { ...input?.S3Input, LocalPath: '/tmp/x' } }],
    };
    await expect(processing(bad)).rejects.toMatchObject({
      name: 'SageMaker.ValidationException',
      message: expect.stringMatching(
        /^ProcessingInputs\[0\]\.S3Input\.LocalPath: "\/tmp\/x" must be a path under/,
      ),
    });
  });
});

describe('through the local engine', () => {
  it('runs a createTrainingJob.sync Task and catches its failure as States.TaskFailed', async () => {
    const definition = {
      StartAt: 'Train',
      States: {
        Train: {
          Type: 'Task',
          Resource: SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
          Parameters: { 'TrainingJobName.$': '$.name', 'HyperParameters.$': '$.hyperparameters' },
          ResultSelector: { 'model.$': '$.ModelArtifacts.S3ModelArtifacts' },
          Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Failed' }],
          End: true,
        },
        Failed: { Type: 'Pass', End: true },
      },
    };
    // The Task's Parameters take the fixed fields from a complete request.
    const { TrainingJobName: _name, HyperParameters: _hps, ...fixed } = trainingJob('unused');
    Object.assign(definition.States.Train.Parameters, fixed);
    const asl = join(scratch, 'sagemaker.asl.json');
    await writeFile(asl, JSON.stringify(definition));
    const engine = new LocalEngine({ home: local.home, context: local.ctx });

    const ok = await engine.run(asl, { name: 'engine-job', hyperparameters: withProgram('files.mjs') });
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.output).toEqual({ model: `s3://${BUCKET}/models/churn/exec-1/engine-job/output/model.tar.gz` });

    const failed = await engine.run(asl, { name: 'engine-fail', hyperparameters: withProgram('fail.mjs') });
    expect(failed.status).toBe('SUCCEEDED');
    const caught = (failed.output as { error: { Error: string; Cause: string } }).error;
    expect(caught.Error).toBe('States.TaskFailed');
    expect(JSON.parse(caught.Cause)).toMatchObject({
      TrainingJobName: 'engine-fail',
      TrainingJobStatus: 'Failed',
    });
  });
});
