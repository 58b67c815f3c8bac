import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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
import { LocalEngine } from '#local/engine.ts';
import {
  FAIL_DEPLOY_VARIABLE,
  FUNCTIONS_FILE,
  HOSTING_FILE,
  SAGEMAKER_ERROR,
  SAGEMAKER_SDK_ERROR,
  SERVING_CALLS_FILE,
  type ServingCall,
  servingIntegration,
} from '#local/integrations/serving.ts';

const NOW = new Date('2026-11-20T00:00:00.000Z');
const ACCOUNT = 'us-east-1:000000000000';
const ROLE = 'arn:aws:iam::000000000000:role/kaizen-sagemaker';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'kaizen-serving-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function serving() {
  const integration = servingIntegration({ home, clock: () => NOW });
  const tasks: string[] = [];
  const call = (resource: string, input: unknown, state = 'Deploy') => {
    const target = integration.target(resource);
    if (target === undefined) throw new Error(`no target for ${resource}`);
    return integration.run({
      state,
      resource,
      target,
      input,
      beforeTask: ({ step }) => {
        tasks.push(step);
      },
    }) as Promise<Record<string, unknown>>;
  };
  return { call, tasks };
}

async function refused(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to be refused');
}

async function calls(): Promise<ServingCall[]> {
  const text = await readFile(join(home, SERVING_CALLS_FILE), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ServingCall);
}

const model = (name: string, environment?: Record<string, string>) => ({
  ModelName: name,
  PrimaryContainer: {
    Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3',
    ModelDataUrl: `s3://kaizen-artifacts/models/churn/${name}/model.tar.gz`,
    ...(environment ? { Environment: environment } : {}),
  },
  ExecutionRoleArn: ROLE,
});

const endpointConfig = (name: string, modelName: string) => ({
  EndpointConfigName: name,
  ProductionVariants: [
    {
      VariantName: 'AllTraffic',
      ModelName: modelName,
      InitialInstanceCount: 1,
      InstanceType: 'ml.m5.large',
      InitialVariantWeight: 1,
    },
  ],
});

const CANARY = {
  BlueGreenUpdatePolicy: {
    TrafficRoutingConfiguration: {
      Type: 'CANARY',
      WaitIntervalInSeconds: 600,
      CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 },
    },
    TerminationWaitInSeconds: 300,
    MaximumExecutionTimeoutInSeconds: 3600,
  },
  AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'churn-endpoint-errors' }] },
};

describe('SageMaker hosting', () => {
  it('creates, updates and fails to update an endpoint as the deployment workflow drives it', async () => {
    const { call, tasks } = serving();
    const endpointArn = `arn:aws:sagemaker:${ACCOUNT}:endpoint/churn-endpoint`;

    // The workflow first asks whether the endpoint exists (an AWS SDK integration).
    const missing = await refused(call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' }));
    expect(missing.name).toBe(SAGEMAKER_SDK_ERROR);
    expect(missing.name).toBe('SageMaker.SageMakerException');
    expect(missing.message).toMatch(
      /^Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint\/churn-endpoint"\. \(Service: SageMaker, Status Code: 400, Request ID: [0-9a-f-]+\)$/,
    );

    expect(await call(SAGEMAKER_CREATE_MODEL, model('churn-v1'))).toEqual({
      ModelArn: `arn:aws:sagemaker:${ACCOUNT}:model/churn-v1`,
    });
    expect(
      await call(SAGEMAKER_CREATE_ENDPOINT_CONFIG, endpointConfig('churn-v1-config', 'churn-v1')),
    ).toEqual({
      EndpointConfigArn: `arn:aws:sagemaker:${ACCOUNT}:endpoint-config/churn-v1-config`,
    });
    expect(
      await call(SAGEMAKER_CREATE_ENDPOINT, {
        EndpointName: 'churn-endpoint',
        EndpointConfigName: 'churn-v1-config',
      }),
    ).toEqual({ EndpointArn: endpointArn });

    expect(await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' })).toEqual({
      EndpointName: 'churn-endpoint',
      EndpointArn: endpointArn,
      EndpointConfigName: 'churn-v1-config',
      EndpointStatus: 'Creating',
      CreationTime: NOW.toISOString(),
      LastModifiedTime: NOW.toISOString(),
      PendingDeploymentSummary: {
        EndpointConfigName: 'churn-v1-config',
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            DesiredWeight: 1,
            DesiredInstanceCount: 1,
            InstanceType: 'ml.m5.large',
          },
        ],
        StartTime: NOW.toISOString(),
      },
    });
    const created = await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' });
    expect(created).toEqual({
      EndpointName: 'churn-endpoint',
      EndpointArn: endpointArn,
      EndpointConfigName: 'churn-v1-config',
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          CurrentWeight: 1,
          DesiredWeight: 1,
          CurrentInstanceCount: 1,
          DesiredInstanceCount: 1,
        },
      ],
      EndpointStatus: 'InService',
      CreationTime: NOW.toISOString(),
      LastModifiedTime: NOW.toISOString(),
    });

    // A promotion: a second model and configuration, deployed with a canary.
    await call(SAGEMAKER_CREATE_MODEL, model('churn-v2'));
    await call(SAGEMAKER_CREATE_ENDPOINT_CONFIG, endpointConfig('churn-v2-config', 'churn-v2'));
    expect(
      await call(SAGEMAKER_UPDATE_ENDPOINT, {
        EndpointName: 'churn-endpoint',
        EndpointConfigName: 'churn-v2-config',
        DeploymentConfig: CANARY,
      }),
    ).toEqual({ EndpointArn: endpointArn });
    const busy = await refused(
      call(SAGEMAKER_UPDATE_ENDPOINT, {
        EndpointName: 'churn-endpoint',
        EndpointConfigName: 'churn-v1-config',
      }),
    );
    expect(busy.name).toBe(SAGEMAKER_ERROR);
    expect(busy.message).toContain(`Cannot update in-progress endpoint "${endpointArn}".`);
    const updating = await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' });
    expect(updating).toMatchObject({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'churn-v1-config',
      PendingDeploymentSummary: { EndpointConfigName: 'churn-v2-config' },
    });
    const updated = await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' });
    expect(updated).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'churn-v2-config' });
    expect(updated).not.toHaveProperty('PendingDeploymentSummary');
    expect(updated).not.toHaveProperty('FailureReason');

    // A deployment that fails (the test hook): Updating, Failed, then InService on the old configuration.
    await call(SAGEMAKER_CREATE_MODEL, model('churn-v3', { [FAIL_DEPLOY_VARIABLE]: 'true' }));
    await call(SAGEMAKER_CREATE_ENDPOINT_CONFIG, endpointConfig('churn-v3-config', 'churn-v3'));
    await call(SAGEMAKER_UPDATE_ENDPOINT, {
      EndpointName: 'churn-endpoint',
      EndpointConfigName: 'churn-v3-config',
      DeploymentConfig: CANARY,
    });
    expect(await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' })).toMatchObject({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'churn-v2-config',
      PendingDeploymentSummary: { EndpointConfigName: 'churn-v3-config' },
    });
    const stillBusy = await refused(
      call(SAGEMAKER_UPDATE_ENDPOINT, {
        EndpointName: 'churn-endpoint',
        EndpointConfigName: 'churn-v1-config',
      }),
    );
    expect(stillBusy.message).toMatch(/^Cannot update in-progress endpoint/);
    const failed = await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' });
    expect(failed).toMatchObject({ EndpointStatus: 'Failed', EndpointConfigName: 'churn-v2-config' });
    expect(failed.FailureReason).toMatch(/AllTraffic did not pass the ping health check/);
    const rolledBack = await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'churn-endpoint' });
    expect(rolledBack).toMatchObject({
      EndpointStatus: 'InService',
      EndpointConfigName: 'churn-v2-config',
      FailureReason: failed.FailureReason,
    });

    const hosting = JSON.parse(await readFile(join(home, HOSTING_FILE), 'utf8'));
    expect(hosting.endpoints['churn-endpoint']).toMatchObject({
      EndpointConfigName: 'churn-v2-config',
      previousConfigName: 'churn-v1-config',
      deployments: [
        { EndpointConfigName: 'churn-v1-config', outcome: 'InService' },
        { EndpointConfigName: 'churn-v2-config', outcome: 'InService' },
        { EndpointConfigName: 'churn-v3-config', outcome: 'Failed' },
      ],
    });
    expect(Object.keys(hosting.models)).toEqual(['churn-v1', 'churn-v2', 'churn-v3']);

    const log = await calls();
    expect(log.map((line) => line.target)).toEqual(tasks);
    expect(log.map((line) => [line.target, line.error?.name ?? line.output])).toEqual([
      ['sagemaker:describeEndpoint', 'SageMaker.SageMakerException'],
      ['sagemaker:createModel', { ModelArn: `arn:aws:sagemaker:${ACCOUNT}:model/churn-v1` }],
      [
        'sagemaker:createEndpointConfig',
        { EndpointConfigArn: `arn:aws:sagemaker:${ACCOUNT}:endpoint-config/churn-v1-config` },
      ],
      ['sagemaker:createEndpoint', { EndpointArn: endpointArn }],
      ['sagemaker:describeEndpoint', expect.objectContaining({ EndpointStatus: 'Creating' })],
      ['sagemaker:describeEndpoint', expect.objectContaining({ EndpointStatus: 'InService' })],
      ['sagemaker:createModel', expect.anything()],
      ['sagemaker:createEndpointConfig', expect.anything()],
      ['sagemaker:updateEndpoint', { EndpointArn: endpointArn }],
      ['sagemaker:updateEndpoint', 'SageMaker.AmazonSageMakerException'],
      ['sagemaker:describeEndpoint', expect.objectContaining({ EndpointStatus: 'Updating' })],
      ['sagemaker:describeEndpoint', expect.objectContaining({ EndpointStatus: 'InService' })],
      ['sagemaker:createModel', expect.anything()],
      ['sagemaker:createEndpointConfig', expect.anything()],
      ['sagemaker:updateEndpoint', { EndpointArn: endpointArn }],
      ['sagemaker:describeEndpoint', expect.objectContaining({ EndpointStatus: 'Updating' })],
      ['sagemaker:updateEndpoint', 'SageMaker.AmazonSageMakerException'],
      ['sagemaker:describeEndpoint', expect.objectContaining({ EndpointStatus: 'Failed' })],
      ['sagemaker:describeEndpoint', expect.objectContaining({ EndpointStatus: 'InService' })],
    ]);
    expect(log[0]).toMatchObject({
      at: NOW.toISOString(),
      state: 'Deploy',
      input: { EndpointName: 'churn-endpoint' },
    });
    expect(log[8]?.input).toMatchObject({ DeploymentConfig: CANARY });
  });

  it('refuses names used twice, unknown references and malformed requests, naming the field', async () => {
    const { call } = serving();
    await call(SAGEMAKER_CREATE_MODEL, model('churn-v1'));
    await call(SAGEMAKER_CREATE_ENDPOINT_CONFIG, endpointConfig('churn-v1-config', 'churn-v1'));
    await call(SAGEMAKER_CREATE_ENDPOINT, {
      EndpointName: 'churn-endpoint',
      EndpointConfigName: 'churn-v1-config',
    });

    const cases: [string, unknown, RegExp][] = [
      [
        SAGEMAKER_CREATE_MODEL,
        model('Churn-V1'),
        /^Cannot create already existing model "arn:aws:sagemaker:us-east-1:000000000000:model\/churn-v1"\. \(Service: AmazonSageMaker; Status Code: 400; Error Code: ValidationException; Request ID: [0-9a-f-]+; Proxy: null\)$/,
      ],
      [
        SAGEMAKER_CREATE_ENDPOINT_CONFIG,
        endpointConfig('churn-v1-config', 'churn-v1'),
        /^Cannot create already existing endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config\/churn-v1-config"\./,
      ],
      [
        SAGEMAKER_CREATE_ENDPOINT,
        { EndpointName: 'churn-endpoint', EndpointConfigName: 'churn-v1-config' },
        /^Cannot create already existing endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint\/churn-endpoint"\./,
      ],
      [
        SAGEMAKER_CREATE_ENDPOINT_CONFIG,
        endpointConfig('churn-v9-config', 'churn-v9'),
        /^Could not find model "arn:aws:sagemaker:us-east-1:000000000000:model\/churn-v9"\./,
      ],
      [
        SAGEMAKER_CREATE_ENDPOINT,
        { EndpointName: 'other-endpoint', EndpointConfigName: 'churn-v9-config' },
        /^Could not find endpoint configuration "arn:aws:sagemaker:us-east-1:000000000000:endpoint-config\/churn-v9-config"\./,
      ],
      [
        SAGEMAKER_UPDATE_ENDPOINT,
        { EndpointName: 'other-endpoint', EndpointConfigName: 'churn-v1-config' },
        /^Could not find endpoint "arn:aws:sagemaker:us-east-1:000000000000:endpoint\/other-endpoint"\./,
      ],
      [
        SAGEMAKER_CREATE_MODEL,
        {
          ...model('churn-v2'),
          PrimaryContainer: { Image: 'image', ModelDataUrl: 'https://example.com/model.tar.gz' },
        },
        /^PrimaryContainer\.ModelDataUrl: "https:\/\/example\.com\/model\.tar\.gz" is not an S3 URI/,
      ],
      [SAGEMAKER_CREATE_MODEL, { ...model('churn_v2') }, /^ModelName: "churn_v2" does not match/],
      [
        SAGEMAKER_CREATE_MODEL,
        { ...model('churn-v2'), ExecutionRoleArn: undefined },
        /^ExecutionRoleArn: is required/,
      ],
      [
        SAGEMAKER_CREATE_ENDPOINT_CONFIG,
        {
          EndpointConfigName: 'churn-v2-config',
          ProductionVariants: [
            { ...endpointConfig('x', 'churn-v1').ProductionVariants[0], InitialInstanceCount: 0 },
          ],
        },
        /^ProductionVariants\[0\]\.InitialInstanceCount: must be an integer from 1/,
      ],
      [
        SAGEMAKER_UPDATE_ENDPOINT,
        {
          EndpointName: 'churn-endpoint',
          EndpointConfigName: 'churn-v1-config',
          DeploymentConfig: {
            BlueGreenUpdatePolicy: {
              TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 60 },
            },
          },
        },
        /^DeploymentConfig\.BlueGreenUpdatePolicy\.TrafficRoutingConfiguration\.CanarySize: is required with Type CANARY/,
      ],
    ];
    for (const [resource, input, message] of cases) {
      const error = await refused(call(resource, input));
      expect(error.name, JSON.stringify(input)).toBe('SageMaker.AmazonSageMakerException');
      expect(error.message).toMatch(message);
    }
    // Still Creating: an update waits for InService.
    const early = await refused(
      call(SAGEMAKER_UPDATE_ENDPOINT, {
        EndpointName: 'churn-endpoint',
        EndpointConfigName: 'churn-v1-config',
      }),
    );
    expect(early.message).toMatch(/^Cannot update in-progress endpoint/);
    const badDescribe = await refused(call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: '' }));
    expect(badDescribe.name).toBe('SageMaker.SageMakerException');

    const hosting = JSON.parse(await readFile(join(home, HOSTING_FILE), 'utf8'));
    expect(Object.keys(hosting.models)).toEqual(['churn-v1']);
    expect(Object.keys(hosting.endpointConfigs)).toEqual(['churn-v1-config']);
    expect(Object.keys(hosting.endpoints)).toEqual(['churn-endpoint']);
    expect((await calls()).filter((line) => line.error)).toHaveLength(cases.length + 2);
  });

  it('keeps a failed creation Failed and takes the undo of a failed update', async () => {
    const { call } = serving();
    await call(SAGEMAKER_CREATE_MODEL, model('broken', { [FAIL_DEPLOY_VARIABLE]: 'true' }));
    await call(SAGEMAKER_CREATE_ENDPOINT_CONFIG, endpointConfig('broken-config', 'broken'));
    await call(SAGEMAKER_CREATE_ENDPOINT, {
      EndpointName: 'broken-endpoint',
      EndpointConfigName: 'broken-config',
    });
    const status = async (name: string) =>
      (await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: name })).EndpointStatus;
    expect([
      await status('broken-endpoint'),
      await status('broken-endpoint'),
      await status('broken-endpoint'),
    ]).toEqual(['Creating', 'Failed', 'Failed']);
    const failedCreation = await refused(
      call(SAGEMAKER_UPDATE_ENDPOINT, {
        EndpointName: 'broken-endpoint',
        EndpointConfigName: 'broken-config',
      }),
    );
    expect(failedCreation.message).toMatch(/^Cannot update failed endpoint/);

    // The workflow's undo: once the failed update is seen, it updates the endpoint back to the old config.
    await call(SAGEMAKER_CREATE_MODEL, model('good'));
    await call(SAGEMAKER_CREATE_ENDPOINT_CONFIG, endpointConfig('good-config', 'good'));
    await call(SAGEMAKER_CREATE_ENDPOINT, { EndpointName: 'serving', EndpointConfigName: 'good-config' });
    expect([await status('serving'), await status('serving')]).toEqual(['Creating', 'InService']);
    await call(SAGEMAKER_UPDATE_ENDPOINT, { EndpointName: 'serving', EndpointConfigName: 'broken-config' });
    expect([await status('serving'), await status('serving')]).toEqual(['Updating', 'Failed']);
    await call(SAGEMAKER_UPDATE_ENDPOINT, { EndpointName: 'serving', EndpointConfigName: 'good-config' });
    expect(await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'serving' })).toMatchObject({
      EndpointStatus: 'Updating',
      EndpointConfigName: 'good-config',
      PendingDeploymentSummary: { EndpointConfigName: 'good-config' },
    });
    const back = await call(SAGEMAKER_DESCRIBE_ENDPOINT, { EndpointName: 'serving' });
    expect(back).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'good-config' });
    expect(back).not.toHaveProperty('FailureReason');
  });
});

describe('Lambda versions and aliases', () => {
  const FUNCTION = 'churn-inference';
  const ARN = `arn:aws:lambda:${ACCOUNT}:function:${FUNCTION}`;

  it('updates the environment, publishes a version and shifts the alias as the deployment workflow drives it', async () => {
    const { call, tasks } = serving();

    // The function does not exist locally: the first call creates its stand-in.
    const first = await call(LAMBDA_GET_FUNCTION_CONFIGURATION, { FunctionName: FUNCTION });
    expect(first).toMatchObject({
      FunctionName: FUNCTION,
      FunctionArn: ARN,
      Version: '$LATEST',
      State: 'Active',
      LastUpdateStatus: 'Successful',
      LastModified: '2026-11-20T00:00:00.000+0000',
    });
    expect(first).not.toHaveProperty('Environment');

    const variables = { MODEL_URI: 's3://kaizen-artifacts/models/churn/v2/model.tar.gz', MODEL_VERSION: '2' };
    const updating = await call(LAMBDA_UPDATE_FUNCTION_CONFIGURATION, {
      FunctionName: ARN,
      Environment: { Variables: variables },
    });
    expect(updating).toMatchObject({
      Version: '$LATEST',
      LastUpdateStatus: 'InProgress',
      Environment: { Variables: variables },
    });
    expect(updating.RevisionId).not.toBe(first.RevisionId);

    const early = await refused(call(LAMBDA_PUBLISH_VERSION, { FunctionName: FUNCTION }));
    expect(early.name).toBe('Lambda.ResourceConflictException');
    expect(early.message).toMatch(
      new RegExp(
        `^The operation cannot be performed at this time\\. An update is in progress for resource: ${ARN} \\(Service: Lambda, Status Code: 409, Request ID: [0-9a-f-]+\\)$`,
      ),
    );
    const twice = await refused(
      call(LAMBDA_UPDATE_FUNCTION_CONFIGURATION, { FunctionName: FUNCTION, Environment: { Variables: {} } }),
    );
    expect(twice.name).toBe('Lambda.ResourceConflictException');

    expect(await call(LAMBDA_GET_FUNCTION_CONFIGURATION, { FunctionName: FUNCTION })).toMatchObject({
      LastUpdateStatus: 'Successful',
      Environment: { Variables: variables },
    });

    const published = await call(LAMBDA_PUBLISH_VERSION, { FunctionName: FUNCTION, Description: 'churn v2' });
    expect(published).toMatchObject({
      FunctionArn: `${ARN}:2`,
      Version: '2',
      Description: 'churn v2',
      Environment: { Variables: variables },
      State: 'Active',
      LastUpdateStatus: 'Successful',
    });
    // Nothing changed since: Lambda answers the latest version unchanged.
    expect(await call(LAMBDA_PUBLISH_VERSION, { FunctionName: FUNCTION, Description: 'again' })).toEqual(
      published,
    );

    // The first alias call creates the stand-in alias at version 1.
    expect(await call(LAMBDA_GET_ALIAS, { FunctionName: FUNCTION, Name: 'live' })).toMatchObject({
      AliasArn: `${ARN}:live`,
      Name: 'live',
      FunctionVersion: '1',
    });
    const canary = await call(LAMBDA_UPDATE_ALIAS, {
      FunctionName: FUNCTION,
      Name: 'live',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
    });
    expect(canary).toMatchObject({
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
    });
    expect(await call(LAMBDA_GET_ALIAS, { FunctionName: FUNCTION, Name: 'live' })).toEqual(canary);

    const invalid: [unknown, string, RegExp][] = [
      [
        { '2': 1.5 },
        'Lambda.InvalidParameterValueException',
        /^RoutingConfig\.AdditionalVersionWeights\.2: weight 1\.5/,
      ],
      [
        { '2': -0.1 },
        'Lambda.InvalidParameterValueException',
        /^RoutingConfig\.AdditionalVersionWeights\.2: /,
      ],
      [
        { '2': '0.1' },
        'Lambda.InvalidParameterValueException',
        /^RoutingConfig\.AdditionalVersionWeights\.2: /,
      ],
      [
        { '1': 0.1 },
        'Lambda.InvalidParameterValueException',
        /^RoutingConfig\.AdditionalVersionWeights: the additional version \(1\) must differ/,
      ],
      [
        { '2': 0.1, '3': 0.1 },
        'Lambda.InvalidParameterValueException',
        /^RoutingConfig\.AdditionalVersionWeights: names 2 additional versions/,
      ],
      [
        { '7': 0.1 },
        'Lambda.InvalidParameterValueException',
        /^RoutingConfig\.AdditionalVersionWeights: version 7 of churn-inference does not exist/,
      ],
    ];
    for (const [weights, name, message] of invalid) {
      const error = await refused(
        call(LAMBDA_UPDATE_ALIAS, {
          FunctionName: FUNCTION,
          Name: 'live',
          RoutingConfig: { AdditionalVersionWeights: weights },
        }),
      );
      expect(error.name, JSON.stringify(weights)).toBe(name);
      expect(error.message).toMatch(message);
    }
    const noVersion = await refused(
      call(LAMBDA_UPDATE_ALIAS, { FunctionName: FUNCTION, Name: 'live', FunctionVersion: '9' }),
    );
    expect(noVersion.name).toBe('Lambda.ResourceNotFoundException');
    expect(noVersion.message).toMatch(new RegExp(`^Function not found: ${ARN}:9 `));
    const latest = await refused(
      call(LAMBDA_UPDATE_ALIAS, { FunctionName: FUNCTION, Name: 'live', FunctionVersion: '$LATEST' }),
    );
    expect(latest.message).toMatch(/^FunctionVersion: \$LATEST cannot be used with RoutingConfig/);
    const otherAlias = await refused(call(LAMBDA_GET_ALIAS, { FunctionName: FUNCTION, Name: 'staging' }));
    expect(otherAlias.name).toBe('Lambda.ResourceNotFoundException');
    expect(otherAlias.message).toMatch(new RegExp(`^Cannot find alias arn: ${ARN}:staging `));
    // The refused updates changed nothing.
    expect(await call(LAMBDA_GET_ALIAS, { FunctionName: FUNCTION, Name: 'live' })).toEqual(canary);

    const promoted = await call(LAMBDA_UPDATE_ALIAS, {
      FunctionName: FUNCTION,
      Name: 'live',
      FunctionVersion: '2',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    expect(promoted).toMatchObject({ AliasArn: `${ARN}:live`, Name: 'live', FunctionVersion: '2' });
    expect(promoted).not.toHaveProperty('RoutingConfig');
    expect(
      await call(LAMBDA_GET_FUNCTION_CONFIGURATION, { FunctionName: FUNCTION, Qualifier: 'live' }),
    ).toMatchObject({
      Version: '2',
      Environment: { Variables: variables },
    });

    const functions = JSON.parse(await readFile(join(home, FUNCTIONS_FILE), 'utf8'));
    expect(functions.functions[FUNCTION]).toMatchObject({
      standIn: true,
      lastVersion: 2,
      aliases: { live: { FunctionVersion: '2' } },
    });
    expect(Object.keys(functions.functions[FUNCTION].versions)).toEqual(['1', '2']);

    const log = await calls();
    expect(log.map((line) => line.target)).toEqual(tasks);
    expect(log.map((line) => line.target)).toEqual([
      'lambda:getFunctionConfiguration',
      'lambda:updateFunctionConfiguration',
      'lambda:publishVersion',
      'lambda:updateFunctionConfiguration',
      'lambda:getFunctionConfiguration',
      'lambda:publishVersion',
      'lambda:publishVersion',
      'lambda:getAlias',
      'lambda:updateAlias',
      'lambda:getAlias',
      ...invalid.map(() => 'lambda:updateAlias'),
      'lambda:updateAlias',
      'lambda:updateAlias',
      'lambda:getAlias',
      'lambda:getAlias',
      'lambda:updateAlias',
      'lambda:getFunctionConfiguration',
    ]);
    expect(log[0]?.note).toBe(
      'created the local stand-in of function churn-inference: $LATEST with no environment variables, version 1 published from it',
    );
    expect(log[7]?.note).toBe('created the local stand-in alias churn-inference:live, pointing at version 1');
    expect(log.filter((line) => line.note)).toHaveLength(2);
    expect(log[2]?.error?.name).toBe('Lambda.ResourceConflictException');
    expect(log[6]?.output).toEqual(published);
  });

  it('creates the stand-in and its alias on a first updateAlias, and validates the environment', async () => {
    const { call } = serving();
    expect(
      await call(LAMBDA_UPDATE_ALIAS, { FunctionName: 'scorer', Name: 'prod', Description: 'serving alias' }),
    ).toMatchObject({ Name: 'prod', FunctionVersion: '1', Description: 'serving alias' });
    expect((await calls())[0]?.note).toMatch(
      /^created the local stand-in of function scorer: .*; created the local stand-in alias scorer:prod, pointing at version 1$/,
    );
    const reserved = await refused(
      call(LAMBDA_UPDATE_FUNCTION_CONFIGURATION, {
        FunctionName: 'scorer',
        Environment: { Variables: { AWS_REGION: 'eu-west-1' } },
      }),
    );
    expect(reserved.name).toBe('Lambda.InvalidParameterValueException');
    expect(reserved.message).toMatch(/^Environment\.Variables: .*reserved keys.*AWS_REGION/);
    const qualified = await refused(call(LAMBDA_PUBLISH_VERSION, { FunctionName: 'scorer:prod' }));
    expect(qualified.message).toMatch(/^FunctionName: /);
    const unsupported = await refused(
      call(LAMBDA_UPDATE_FUNCTION_CONFIGURATION, {
        FunctionName: 'scorer',
        Layers: ['arn:aws:lambda:layer'],
      }),
    );
    expect(unsupported.message).toMatch(/^Layers: is not supported by the local stand-in/);
    // An environment set and cleared again is no change: no new version.
    await call(LAMBDA_UPDATE_FUNCTION_CONFIGURATION, {
      FunctionName: 'scorer',
      Environment: { Variables: { MODEL_VERSION: '1' } },
    });
    await call(LAMBDA_GET_FUNCTION_CONFIGURATION, { FunctionName: 'scorer' });
    await call(LAMBDA_UPDATE_FUNCTION_CONFIGURATION, {
      FunctionName: 'scorer',
      Environment: { Variables: {} },
    });
    const cleared = await call(LAMBDA_GET_FUNCTION_CONFIGURATION, { FunctionName: 'scorer' });
    expect(cleared).not.toHaveProperty('Environment');
    expect((await call(LAMBDA_PUBLISH_VERSION, { FunctionName: 'scorer' })).Version).toBe('1');
  });
});

describe('through the local engine', () => {
  it('runs the hosting and alias Tasks of a definition, polls included', async () => {
    const poll = (next: string, resource: string, parameters: Record<string, unknown>, choice: unknown) => ({
      Task: {
        Type: 'Task',
        Resource: resource,
        Parameters: parameters,
        ResultPath: '$.status',
        Next: `${next}Choice`,
      },
      Choice: choice,
      Wait: { Type: 'Wait', Seconds: 30, Next: next },
    });
    const endpoint = poll(
      'DescribeEndpoint',
      SAGEMAKER_DESCRIBE_ENDPOINT,
      { 'EndpointName.$': '$.endpoint' },
      {
        Type: 'Choice',
        Choices: [{ Variable: '$.status.EndpointStatus', StringEquals: 'InService', Next: 'UpdateFunction' }],
        Default: 'DescribeEndpointWait',
      },
    );
    const fn = poll(
      'GetFunction',
      LAMBDA_GET_FUNCTION_CONFIGURATION,
      { 'FunctionName.$': '$.function' },
      {
        Type: 'Choice',
        Choices: [{ Variable: '$.status.LastUpdateStatus', StringEquals: 'Successful', Next: 'Publish' }],
        Default: 'GetFunctionWait',
      },
    );
    const definition = {
      StartAt: 'Exists',
      States: {
        Exists: {
          Type: 'Task',
          Resource: SAGEMAKER_DESCRIBE_ENDPOINT,
          Parameters: { 'EndpointName.$': '$.endpoint' },
          ResultPath: null,
          Catch: [
            { ErrorEquals: ['SageMaker.SageMakerException'], ResultPath: '$.missing', Next: 'CreateModel' },
          ],
          Next: 'Done',
        },
        CreateModel: {
          Type: 'Task',
          Resource: SAGEMAKER_CREATE_MODEL,
          Parameters: { ...model('churn-v1') },
          ResultPath: '$.model',
          Next: 'CreateConfig',
        },
        CreateConfig: {
          Type: 'Task',
          Resource: SAGEMAKER_CREATE_ENDPOINT_CONFIG,
          Parameters: endpointConfig('churn-v1-config', 'churn-v1'),
          ResultPath: null,
          Next: 'CreateEndpoint',
        },
        CreateEndpoint: {
          Type: 'Task',
          Resource: SAGEMAKER_CREATE_ENDPOINT,
          Parameters: { 'EndpointName.$': '$.endpoint', EndpointConfigName: 'churn-v1-config' },
          ResultPath: null,
          Next: 'DescribeEndpointWait',
        },
        DescribeEndpointWait: endpoint.Wait,
        DescribeEndpoint: endpoint.Task,
        DescribeEndpointChoice: endpoint.Choice,
        UpdateFunction: {
          Type: 'Task',
          Resource: LAMBDA_UPDATE_FUNCTION_CONFIGURATION,
          Parameters: { 'FunctionName.$': '$.function', Environment: { Variables: { MODEL_VERSION: '2' } } },
          ResultPath: '$.status',
          Next: 'GetFunctionWait',
        },
        GetFunctionWait: fn.Wait,
        GetFunction: fn.Task,
        GetFunctionChoice: fn.Choice,
        Publish: {
          Type: 'Task',
          Resource: LAMBDA_PUBLISH_VERSION,
          Parameters: { 'FunctionName.$': '$.function' },
          ResultSelector: { 'version.$': '$.Version' },
          ResultPath: '$.published',
          Next: 'Shift',
        },
        Shift: {
          Type: 'Task',
          Resource: LAMBDA_UPDATE_ALIAS,
          Parameters: {
            'FunctionName.$': '$.function',
            Name: 'live',
            RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } },
          },
          ResultSelector: { 'version.$': '$.FunctionVersion', 'routing.$': '$.RoutingConfig' },
          ResultPath: '$.alias',
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    const asl = join(home, 'serving.asl.json');
    await writeFile(asl, JSON.stringify(definition));
    const engine = new LocalEngine({ home });
    const run = await engine.run(asl, { endpoint: 'churn-endpoint', function: 'churn-inference' });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.output).toMatchObject({
      missing: { Error: 'SageMaker.SageMakerException' },
      published: { version: '2' },
      alias: { version: '1', routing: { AdditionalVersionWeights: { '2': 0.1 } } },
    });
    expect((await calls()).map((line) => `${line.state} ${line.target}`)).toEqual([
      'Exists sagemaker:describeEndpoint',
      'CreateModel sagemaker:createModel',
      'CreateConfig sagemaker:createEndpointConfig',
      'CreateEndpoint sagemaker:createEndpoint',
      'DescribeEndpoint sagemaker:describeEndpoint',
      'DescribeEndpoint sagemaker:describeEndpoint',
      'UpdateFunction lambda:updateFunctionConfiguration',
      'GetFunction lambda:getFunctionConfiguration',
      'Publish lambda:publishVersion',
      'Shift lambda:updateAlias',
    ]);
  });
});
