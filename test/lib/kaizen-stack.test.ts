import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CfnElement, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '#contracts/env.ts';
import { STACK_OUTPUTS } from '#contracts/outputs.ts';
import {
  FUNCTIONS,
  type FunctionName,
  LOOP_STEPS,
  STEPS,
  type StepAccess,
  type StepSpec,
  SWEEP_STEPS,
} from '#contracts/steps.ts';
import { BY_KIND_INDEX } from '#contracts/tables.ts';
import {
  FLEET_SWEEP_ASL,
  IMPROVEMENT_LOOP_ASL,
  LAMBDA_GET_ALIAS,
  LAMBDA_GET_FUNCTION_CONFIGURATION,
  LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN,
  LAMBDA_PUBLISH_VERSION,
  LAMBDA_UPDATE_ALIAS,
  LAMBDA_UPDATE_FUNCTION_CONFIGURATION,
  SAGEMAKER_CREATE_ENDPOINT,
  SAGEMAKER_CREATE_ENDPOINT_CONFIG,
  SAGEMAKER_CREATE_MODEL,
  SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
  SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
  SAGEMAKER_DESCRIBE_ENDPOINT,
  SAGEMAKER_UPDATE_ENDPOINT,
} from '#contracts/workflows.ts';
import { KaizenStack } from '#lib/kaizen-stack.ts';
import { addNagChecks, nagFindings } from '#lib/nag.ts';
import { PROJECT_ROOT, readDefinition } from '#lib/project.ts';
import { taskResources } from '#lib/workflow.ts';
import { testApp } from './cdk-app.ts';

// The one bundling synthesis of this file. Its cloud assembly lives under node_modules so the
// bundles can import the externalised @aws-sdk packages when the test loads them.
const cacheDir = join(PROJECT_ROOT, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const outdir = mkdtempSync(join(cacheDir, 'kaizen-cdk-test-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const SCHEDULE = 'cron(0 6 * * ? *)';
const app = testApp({ bundle: true, outdir });
addNagChecks(app);
const stack = new KaizenStack(app, 'KaizenLoop', { scheduleExpression: SCHEDULE });
const template = Template.fromStack(stack);

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  Metadata?: Record<string, string>;
}
const resources = template.toJSON().Resources as Record<string, Resource>;
const idOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

const functionNames = Object.keys(FUNCTIONS) as FunctionName[];
const fnId = (name: FunctionName) => idOf(stack.functions[name]);
const ids = {
  metrics: idOf(stack.dataStores.metricsTable),
  registry: idOf(stack.dataStores.registryTable),
  runs: idOf(stack.dataStores.runsTable),
  bucket: idOf(stack.dataStores.bucket),
  logBucket: idOf(stack.dataStores.accessLogsBucket),
  stateMachine: idOf(stack.improvementLoop.stateMachine),
  sweep: idOf(stack.fleetSweep.stateMachine),
  topic: idOf(stack.improvementLoop.topic),
  failureQueue: idOf(stack.trigger.failureQueue),
  eventBus: idOf(stack.eventBus),
  sagemakerRole: idOf(stack.improvementLoop.sagemakerRole),
};

/** Statements of every IAM policy attached to the role with this logical id. */
function statementsOfRole(
  roleId: string,
): { Action: string | string[]; Resource: unknown; Effect: string }[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) =>
      (r.Properties.Roles as unknown[]).some(
        (ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleId }),
      ),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: never[] }).Statement);
}

/** The logical id behind a `{"Fn::GetAtt": [id, "Arn"]}` reference. */
function getAttId(reference: unknown): string {
  expect(reference).toEqual(getAtt(expect.any(String) as never));
  return (reference as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

/** The logical id of the log group a state machine logs to. */
function logGroupOfStateMachine(stateMachineId: string): string {
  const logging = resources[stateMachineId]?.Properties.LoggingConfiguration as {
    Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
  };
  return getAttId(logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn);
}

function roleIdOf(resourceId: string, property: string): string {
  return getAttId(resources[resourceId]?.Properties[property]);
}

/** `arn:<partition>:<service>:<region>:<account>:<resource>` as CDK's `formatArn` renders it. */
function arnOf(service: string, resource: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  };
}

describe('Lambda functions', () => {
  const timeouts: Record<FunctionName, number> = {
    monitor: 30,
    analyze: 30,
    train: 300,
    prepare: 120,
    request: 30,
    register: 30,
    evaluate: 300,
    deploy: 30,
    verify: 30,
    rollback: 30,
    record: 30,
    sweep: 300,
    trigger: 60,
    ingest: 900,
    api: 29,
    pull: 300,
  };
  const starters: FunctionName[] = ['sweep', 'trigger'];
  const publishers: FunctionName[] = ['request', 'record', 'ingest'];

  it('builds one function per step, the trigger and the ingestion functions', () => {
    expect(functionNames).toEqual([...Object.keys(STEPS), 'trigger', 'ingest', 'api', 'pull']);
    // And CDK's custom resource that writes the bucket's notification configuration at deploy time.
    template.resourceCountIs('AWS::Lambda::Function', functionNames.length + 1);
  });

  it.each(functionNames)(
    '%s runs on Node.js 24 arm64 with active tracing, its memory and its timeout',
    (name) => {
      expect(resources[fnId(name)]?.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        MemorySize: FUNCTIONS[name].memoryMb,
        Timeout: timeouts[name],
      });
    },
  );

  it.each(functionNames)('%s has the /tmp its dataset reads spill to (Lambda’s 512 MB otherwise)', (name) => {
    const tmpMb = (FUNCTIONS[name] as StepSpec).tmpMb;
    expect(resources[fnId(name)]?.Properties.EphemeralStorage).toEqual(
      tmpMb === undefined ? undefined : { Size: tmpMb },
    );
  });

  it.each(functionNames)('%s is described by its name', (name) => {
    const description = resources[fnId(name)]?.Properties.Description;
    expect(description).toBe(FUNCTIONS[name].description);
    expect(description).toMatch(new RegExp(`^Kaizen Loop ${name}\\b`));
  });

  it.each(functionNames)(
    '%s gets the Powertools settings, the names of the tables and the bucket, the loop ARN if it starts it and the bus name if it publishes',
    (name) => {
      expect(resources[fnId(name)]?.Properties.Environment).toEqual({
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'kaizen-loop',
          POWERTOOLS_METRICS_NAMESPACE: 'KaizenLoop',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--enable-source-maps',
          KAIZEN_METRICS_TABLE: { Ref: ids.metrics },
          KAIZEN_REGISTRY_TABLE: { Ref: ids.registry },
          KAIZEN_RUNS_TABLE: { Ref: ids.runs },
          KAIZEN_BUCKET: { Ref: ids.bucket },
          ...(starters.includes(name) ? { [ENV.loopArn]: { Ref: ids.stateMachine } } : {}),
          ...(publishers.includes(name) ? { [ENV.eventBus]: { Ref: ids.eventBus } } : {}),
        },
      });
    },
  );

  it.each(functionNames)('%s logs to its own log group kept for one month', (step) => {
    const logging = resources[fnId(step)]?.Properties.LoggingConfig as { LogGroup: { Ref: string } };
    expect(resources[logging.LogGroup.Ref]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it.each(functionNames)(
    '%s is an ESM bundle with a source map, a require shim and the AWS SDK left out',
    async (step) => {
      const assetPath = resources[fnId(step)]?.Metadata?.['aws:asset:path'];
      expect(assetPath).toBeDefined();
      const bundle = join(outdir, assetPath as string, 'index.mjs');
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith("import { createRequire as topLevelCreateRequire } from 'node:module';")).toBe(
        true,
      );
      const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
      expect(map.sources.some((source) => source.includes('functions/'))).toBe(true);
      expect(map.sources.filter((source) => source.includes('node_modules/@aws-sdk/'))).toEqual([]);
      // Loading proves the CJS dependencies bundled into ESM resolve `require` through the banner.
      const module = (await import(pathToFileURL(bundle).href)) as { handler?: unknown };
      expect(typeof module.handler).toBe('function');
    },
  );
});

describe('data stores', () => {
  it.each([
    ['metrics', ids.metrics, []],
    ['registry', ids.registry, ['kind']],
    ['runs', ids.runs, []],
  ])(
    'the %s table has string pk/sk keys, on-demand billing, PITR, KMS encryption and is retained',
    (_name, id, indexKeys) => {
      expect(resources[id]).toMatchObject({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        Properties: {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: ['pk', 'sk', ...indexKeys].map((name) => ({
            AttributeName: name,
            AttributeType: 'S',
          })),
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          // SSEEnabled without a key: the AWS-managed aws/dynamodb KMS key.
          SSESpecification: { SSEEnabled: true },
        },
      });
    },
  );

  it('the metrics table expires rows on expiresAt and streams new images', () => {
    expect(resources[ids.metrics]?.Properties).toMatchObject({
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('the artifact bucket expires replaced object versions after 90 days and stale multipart uploads after 7', () => {
    expect(resources[ids.bucket]?.Properties.LifecycleConfiguration).toEqual({
      Rules: [
        {
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          NoncurrentVersionExpiration: { NoncurrentDays: 90 },
          Status: 'Enabled',
        },
      ],
    });
  });

  it.each([ids.registry, ids.runs])('table %s has no stream', (id) => {
    expect(resources[id]?.Properties.StreamSpecification).toBeUndefined();
  });

  it('the registry lists models by kind in id order, in the index the sweep queries', () => {
    expect(stack.dataStores.registryModelsIndex).toBe(BY_KIND_INDEX);
    expect(resources[ids.registry]?.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: BY_KIND_INDEX,
        KeySchema: [
          { AttributeName: 'kind', KeyType: 'HASH' },
          { AttributeName: 'pk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });

  it.each([ids.metrics, ids.runs])('table %s has no secondary index', (id) => {
    expect(resources[id]?.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('the artifact bucket is encrypted, private, versioned, retained and logs access to the log bucket', () => {
    expect(resources[ids.bucket]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: 'Enabled' },
        LoggingConfiguration: { DestinationBucketName: { Ref: ids.logBucket } },
      },
    });
  });

  it.each([
    ['artifact', ids.bucket],
    ['access log', ids.logBucket],
  ])('the %s bucket policy denies requests without TLS', (_name, id) => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('the log bucket accepts access logs only from the artifact bucket, by bucket policy rather than ACL', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ids.logBucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 's3:PutObject',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Condition: Match.objectLike({ ArnLike: { 'aws:SourceArn': getAtt(ids.bucket) } }),
          }),
        ]),
      },
    });
    expect(resources[ids.logBucket]?.Properties.AccessControl).toBeUndefined();
  });
});

describe('improvement loop state machine', () => {
  it('is a Standard workflow logging everything with execution data, traced by X-Ray', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('logs to a vendedlogs group kept for one month', () => {
    const groupId = logGroupOfStateMachine(ids.stateMachine);
    expect(resources[groupId]?.Properties.RetentionInDays).toBe(30);
    expect(JSON.stringify(resources[groupId]?.Properties.LogGroupName)).toContain('/aws/vendedlogs/states/');
  });

  it('deploys the definition file unchanged, with each step function ARN, the topic and the SageMaker role substituted', () => {
    const props = resources[ids.stateMachine]?.Properties;
    expect(JSON.parse(props?.DefinitionString as string)).toEqual(
      JSON.parse(readDefinition(IMPROVEMENT_LOOP_ASL)),
    );
    expect(props?.DefinitionSubstitutions).toEqual({
      ...Object.fromEntries(LOOP_STEPS.map((step) => [STEPS[step].placeholder, getAtt(fnId(step))])),
      NotificationTopicArn: { Ref: ids.topic },
      SageMakerRoleArn: getAtt(ids.sagemakerRole),
    });
  });

  it('can invoke exactly the step functions and publish to the topic', () => {
    const statements = statementsOfRole(roleIdOf(ids.stateMachine, 'RoleArn'));
    const invoke = statements.filter((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.Resource).toEqual(LOOP_STEPS.map((step) => getAtt(fnId(step))));
    expect(statements).toContainEqual({
      Action: 'sns:Publish',
      Effect: 'Allow',
      Resource: { Ref: ids.topic },
    });
  });

  it('the notification topic is encrypted with a rotating customer key and accepts TLS only', () => {
    const keyArn = resources[ids.topic]?.Properties.KmsMasterKeyId;
    expect(resources[getAttId(keyArn)]).toMatchObject({
      Type: 'AWS::KMS::Key',
      Properties: { EnableKeyRotation: true },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    const statements = statementsOfRole(roleIdOf(ids.stateMachine, 'RoleArn'));
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: keyArn }),
    );
  });
});

describe('improvement loop: SageMaker jobs and the callback task', () => {
  const props = resources[ids.stateMachine]?.Properties as {
    DefinitionString: string;
    DefinitionSubstitutions: Record<string, unknown>;
  };
  const statements = statementsOfRole(roleIdOf(ids.stateMachine, 'RoleArn'));
  const trainingJobs = arnOf('sagemaker', 'training-job/kaizen-*');
  const processingJobs = arnOf('sagemaker', 'processing-job/kaizen-*');

  it('the definition trains on SageMaker, scores on SageMaker and waits for an external trainer', () => {
    expect(taskResources(props.DefinitionString)).toEqual(
      expect.arrayContaining([
        SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
        SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
        LAMBDA_INVOKE_WAIT_FOR_TASK_TOKEN,
      ]),
    );
  });

  it('every placeholder is substituted (the SageMaker role and the request function too): none is left', () => {
    const placeholders = new Set([...props.DefinitionString.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...placeholders].sort()).toEqual(Object.keys(props.DefinitionSubstitutions).sort());
    expect(props.DefinitionSubstitutions.SageMakerRoleArn).toEqual(getAtt(ids.sagemakerRole));
    expect(props.DefinitionSubstitutions.RequestFunctionArn).toEqual(getAtt(fnId('request')));
    let deployed = props.DefinitionString;
    for (const name of Object.keys(props.DefinitionSubstitutions))
      deployed = deployed.replaceAll(`\${${name}}`, `<${name}>`);
    expect(deployed).not.toContain('${');
  });

  it('may create, describe and stop kaizen- training and processing jobs, and read their tags', () => {
    const jobs = (s: { Action: string | string[] }) =>
      [s.Action].flat().some((a) => /^sagemaker:(\w+Job|ListTags)$/.test(a));
    expect(statements.filter(jobs)).toEqual([
      {
        Action: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
        Effect: 'Allow',
        Resource: trainingJobs,
      },
      {
        Action: [
          'sagemaker:CreateProcessingJob',
          'sagemaker:DescribeProcessingJob',
          'sagemaker:StopProcessingJob',
        ],
        Effect: 'Allow',
        Resource: processingJobs,
      },
      { Action: 'sagemaker:ListTags', Effect: 'Allow', Resource: [trainingJobs, processingJobs] },
    ]);
  });

  it('may manage only the EventBridge rules through which Step Functions follows the jobs', () => {
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('events:')))).toEqual([
      {
        Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        Effect: 'Allow',
        Resource: [
          arnOf('events', 'rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule'),
          arnOf('events', 'rule/StepFunctionsGetEventsForSageMakerProcessingJobsRule'),
        ],
      },
    ]);
  });

  it('may pass the SageMaker role, only to SageMaker, and no other role', () => {
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('iam:')))).toEqual([
      {
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        Effect: 'Allow',
        Resource: getAtt(ids.sagemakerRole),
      },
    ]);
  });

  it('may invoke the request function of the callback task', () => {
    const invoke = statements.find((s) => s.Action === 'lambda:InvokeFunction');
    expect([invoke?.Resource].flat()).toContainEqual(getAtt(fnId('request')));
  });

  it('may use no other service', () => {
    const services = new Set(statements.flatMap((s) => [s.Action].flat().map((a) => a.split(':')[0])));
    expect([...services].sort()).toEqual([
      'events',
      'iam',
      'kms',
      'lambda',
      'logs',
      'sagemaker',
      'sns',
      'xray',
    ]);
  });
});

/** The actions of the deployment targets that act on the team's endpoints and functions. */
const TARGET_ACTIONS = [
  'sagemaker:DescribeEndpoint',
  'sagemaker:CreateEndpoint',
  'sagemaker:UpdateEndpoint',
  'lambda:GetFunctionConfiguration',
  'lambda:UpdateFunctionConfiguration',
  'lambda:PublishVersion',
  'lambda:GetAlias',
  'lambda:UpdateAlias',
];
const HOSTING_ACTIONS = ['sagemaker:CreateModel', 'sagemaker:CreateEndpointConfig', ...TARGET_ACTIONS];
const touches = (actions: readonly string[]) => (s: { Action: string | string[] }) =>
  [s.Action].flat().some((a) => actions.includes(a));

describe('improvement loop: deployment targets', () => {
  const props = resources[ids.stateMachine]?.Properties as {
    DefinitionString: string;
    DefinitionSubstitutions: Record<string, unknown>;
  };
  const statements = statementsOfRole(roleIdOf(ids.stateMachine, 'RoleArn'));
  const states = (
    JSON.parse(props.DefinitionString) as {
      States: Record<string, { Type: string; Resource?: string; Parameters?: Record<string, unknown> }>;
    }
  ).States;
  const tasksOf = (resource: string) => Object.values(states).filter((state) => state.Resource === resource);

  it.each([
    SAGEMAKER_CREATE_MODEL,
    SAGEMAKER_CREATE_ENDPOINT_CONFIG,
    SAGEMAKER_CREATE_ENDPOINT,
    SAGEMAKER_UPDATE_ENDPOINT,
    SAGEMAKER_DESCRIBE_ENDPOINT,
    LAMBDA_GET_FUNCTION_CONFIGURATION,
    LAMBDA_UPDATE_FUNCTION_CONFIGURATION,
    LAMBDA_PUBLISH_VERSION,
    LAMBDA_GET_ALIAS,
    LAMBDA_UPDATE_ALIAS,
  ])(
    'the deployed definition calls %s, with no placeholder but the substituted SageMaker role',
    (resource) => {
      const tasks = tasksOf(resource);
      expect(tasks.length).toBeGreaterThan(0);
      const placeholders = tasks.flatMap((task) =>
        [...JSON.stringify(task).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]),
      );
      expect(placeholders.filter((name) => name !== 'SageMakerRoleArn')).toEqual([]);
      expect(placeholders.every((name) => name && name in props.DefinitionSubstitutions)).toBe(true);
    },
  );

  it("creates each model with the SageMaker role as its execution role, substituted with that role's ARN", () => {
    const [createModel, ...others] = tasksOf(SAGEMAKER_CREATE_MODEL);
    expect(others).toEqual([]);
    expect(createModel?.Parameters?.ExecutionRoleArn).toBe(`\${SageMakerRoleArn}`);
    expect(props.DefinitionSubstitutions.SageMakerRoleArn).toEqual(getAtt(ids.sagemakerRole));
  });

  it('may always create kaizen- models and endpoint configs, and nothing else of SageMaker hosting by default', () => {
    expect(statements.filter(touches(HOSTING_ACTIONS))).toEqual([
      { Action: 'sagemaker:CreateModel', Effect: 'Allow', Resource: arnOf('sagemaker', 'model/kaizen-*') },
      {
        Action: 'sagemaker:CreateEndpointConfig',
        Effect: 'Allow',
        Resource: arnOf('sagemaker', 'endpoint-config/kaizen-*'),
      },
    ]);
  });

  it('passes the SageMaker role to CreateModel through the one PassRole statement, to SageMaker only', () => {
    expect(statements.filter(touches(['iam:PassRole']))).toEqual([
      {
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        Effect: 'Allow',
        Resource: getAtt(ids.sagemakerRole),
      },
    ]);
  });

  it('may touch no endpoint and no function when none is named at deploy time', () => {
    expect(statements.filter(touches(TARGET_ACTIONS))).toEqual([]);
    const resourcesText = JSON.stringify(statements.map((s) => s.Resource));
    expect(resourcesText).not.toContain(':endpoint/');
    expect(resourcesText).not.toContain(':function:');
  });

  it('gives the SageMaker role no endpoint log group by default', () => {
    expect(JSON.stringify(statementsOfRole(ids.sagemakerRole))).not.toContain('/aws/sagemaker/Endpoints');
  });
});

describe('deployment targets named at deploy time', () => {
  // Shape-only syntheses, with the pack registered so acknowledgements are checked like `cdk synth`.
  const synthesize = (id: string, props: ConstructorParameters<typeof KaizenStack>[2]) => {
    const app = testApp({ bundle: false });
    addNagChecks(app);
    const named = new KaizenStack(app, id, props);
    const json = Template.fromStack(named).toJSON() as { Resources: Record<string, Resource> };
    const find = (type: string, test: (r: Resource) => boolean) =>
      Object.entries(json.Resources).find(([, r]) => r.Type === type && test(r))?.[0] as string;
    const loopId = named.getLogicalId(named.improvementLoop.stateMachine.node.defaultChild as CfnElement);
    const loopRole = getAttId(json.Resources[loopId]?.Properties.RoleArn);
    const sagemakerRole = named.getLogicalId(
      named.improvementLoop.sagemakerRole.node.defaultChild as CfnElement,
    );
    const statementsOf = (roleId: string) =>
      Object.values(json.Resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .filter((r) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap(
          (r) => (r.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement,
        );
    expect(find('AWS::IAM::Role', (r) => JSON.stringify(r).includes('sagemaker.amazonaws.com'))).toBe(
      sagemakerRole,
    );
    return { stack: named, loop: statementsOf(loopRole), role: statementsOf(sagemakerRole) };
  };
  const functionArn = 'arn:aws:lambda:eu-west-1:123456789012:function:fraud-scorer';
  const named = synthesize('Named', {
    deployEndpoints: ['Churn-Endpoint', 'fraud-endpoint'],
    deployFunctions: ['churn-scorer', functionArn],
  });
  const any = synthesize('Any', { deployEndpoints: '*', deployFunctions: '*' });
  const endpointLogs = (name: string) => [
    arnOf('logs', `log-group:/aws/sagemaker/Endpoints/${name}`),
    arnOf('logs', `log-group:/aws/sagemaker/Endpoints/${name}:*`),
  ];

  it('named endpoints: describe, create and update exactly those (lower-cased ARNs), from kaizen- configs or back to any config', () => {
    const sagemaker = HOSTING_ACTIONS.filter((a) => a.startsWith('sagemaker:'));
    expect(named.loop.filter(touches(sagemaker))).toEqual([
      { Action: 'sagemaker:CreateModel', Effect: 'Allow', Resource: arnOf('sagemaker', 'model/kaizen-*') },
      {
        Action: 'sagemaker:CreateEndpointConfig',
        Effect: 'Allow',
        Resource: arnOf('sagemaker', 'endpoint-config/kaizen-*'),
      },
      {
        Action: ['sagemaker:DescribeEndpoint', 'sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'],
        Effect: 'Allow',
        Resource: [
          arnOf('sagemaker', 'endpoint/churn-endpoint'),
          arnOf('sagemaker', 'endpoint/fraud-endpoint'),
        ],
      },
      {
        Action: 'sagemaker:CreateEndpoint',
        Effect: 'Allow',
        Resource: arnOf('sagemaker', 'endpoint-config/kaizen-*'),
      },
      {
        Action: 'sagemaker:UpdateEndpoint',
        Effect: 'Allow',
        Resource: arnOf('sagemaker', 'endpoint-config/*'),
      },
    ]);
  });

  it('named functions: read, update, version and move the alias of exactly those, by name or ARN', () => {
    expect(named.loop.filter(touches(TARGET_ACTIONS.filter((a) => a.startsWith('lambda:'))))).toEqual([
      {
        Action: [
          'lambda:GetFunctionConfiguration',
          'lambda:UpdateFunctionConfiguration',
          'lambda:PublishVersion',
          'lambda:GetAlias',
          'lambda:UpdateAlias',
        ],
        Effect: 'Allow',
        Resource: [
          arnOf('lambda', 'function:churn-scorer'),
          arnOf('lambda', 'function:churn-scorer:*'),
          functionArn,
          `${functionArn}:*`,
        ],
      },
    ]);
  });

  it("named endpoints: the SageMaker role may write those endpoints' logs (the name's case kept)", () => {
    expect(named.role.filter((s) => JSON.stringify(s).includes('/aws/sagemaker/Endpoints'))).toEqual([
      {
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        Effect: 'Allow',
        Resource: [...endpointLogs('Churn-Endpoint'), ...endpointLogs('fraud-endpoint')],
      },
    ]);
  });

  it('"*": any endpoint and any function of the account and region', () => {
    expect(any.loop.filter(touches(TARGET_ACTIONS))).toEqual([
      {
        Action: ['sagemaker:DescribeEndpoint', 'sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'],
        Effect: 'Allow',
        Resource: arnOf('sagemaker', 'endpoint/*'),
      },
      {
        Action: 'sagemaker:CreateEndpoint',
        Effect: 'Allow',
        Resource: arnOf('sagemaker', 'endpoint-config/kaizen-*'),
      },
      {
        Action: 'sagemaker:UpdateEndpoint',
        Effect: 'Allow',
        Resource: arnOf('sagemaker', 'endpoint-config/*'),
      },
      {
        Action: [
          'lambda:GetFunctionConfiguration',
          'lambda:UpdateFunctionConfiguration',
          'lambda:PublishVersion',
          'lambda:GetAlias',
          'lambda:UpdateAlias',
        ],
        Effect: 'Allow',
        Resource: arnOf('lambda', 'function:*'),
      },
    ]);
    expect(any.role.filter((s) => JSON.stringify(s).includes('/aws/sagemaker/Endpoints'))).toEqual([
      expect.objectContaining({ Resource: endpointLogs('*') }),
    ]);
  });

  it.each([
    ['named', named],
    ['"*"', any],
  ])(
    '%s: cdk-nag passes, every wildcard acknowledged and no acknowledgement stale',
    (_name, { stack: scope }) => {
      expect(nagFindings(scope)).toEqual([]);
      expectOnlyLiveAcknowledgements(scope);
    },
  );

  it('"*": the wildcard resources are acknowledged as chosen at deploy time', () => {
    const reasons = JSON.stringify(
      any.stack.improvementLoop.stateMachine.role.node.findChild('DefaultPolicy').node.metadata,
    );
    expect(reasons).toContain(
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:endpoint/*]',
    );
    expect(reasons).toContain(
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:*]',
    );
    expect(reasons).toContain('kaizen:deployEndpoints is \\"*\\"');
    expect(reasons).toContain('kaizen:deployFunctions is \\"*\\"');
  });

  it('an imported SageMaker role is not given endpoint log groups', () => {
    const app = testApp({ bundle: false });
    const imported = new KaizenStack(app, 'Imported', {
      sagemakerRoleArn: 'arn:aws:iam::123456789012:role/team-sagemaker',
      deployEndpoints: ['churn-endpoint'],
    });
    expect(JSON.stringify(Template.fromStack(imported).toJSON())).not.toContain('/aws/sagemaker/Endpoints');
  });
});

describe('SageMaker execution role', () => {
  const role = resources[ids.sagemakerRole] as Resource;
  const statements = statementsOfRole(ids.sagemakerRole);
  const objects = (pattern: string) => ({ 'Fn::Join': ['', [getAtt(ids.bucket), `/${pattern}`]] });
  const logGroup = (name: string) => arnOf('logs', `log-group:${name}`);

  it('is assumed by SageMaker, for jobs of this account only, with no managed policy', () => {
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'sts:AssumeRole',
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          Effect: 'Allow',
          Principal: { Service: 'sagemaker.amazonaws.com' },
        },
      ],
    });
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
  });

  it('reads the bucket, writes under models/, pulls images and writes its logs and metrics: nothing else', () => {
    expect(statements).toEqual([
      { Action: 's3:GetObject', Effect: 'Allow', Resource: objects('*') },
      { Action: 's3:PutObject', Effect: 'Allow', Resource: objects('models/*') },
      { Action: 's3:ListBucket', Effect: 'Allow', Resource: getAtt(ids.bucket) },
      { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
      {
        Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        Effect: 'Allow',
        Resource: '*',
      },
      {
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        Effect: 'Allow',
        Resource: [
          logGroup('/aws/sagemaker/TrainingJobs'),
          logGroup('/aws/sagemaker/TrainingJobs:*'),
          logGroup('/aws/sagemaker/ProcessingJobs'),
          logGroup('/aws/sagemaker/ProcessingJobs:*'),
        ],
      },
      {
        Action: 'cloudwatch:PutMetricData',
        Condition: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
        Effect: 'Allow',
        Resource: '*',
      },
    ]);
  });

  it('may write no object outside models/', () => {
    const writes = statements.filter((s) =>
      [s.Action].flat().some((a) => /^s3:(Put|Delete|Abort|Restore|Replicate)/.test(a)),
    );
    expect(writes.flatMap((s) => [s.Resource].flat())).toEqual([objects('models/*')]);
  });

  it('is the only role SageMaker can assume', () => {
    const sagemakerRoles = Object.entries(resources).filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties).includes('sagemaker.amazonaws.com'),
    );
    expect(sagemakerRoles.map(([id]) => id)).toEqual([ids.sagemakerRole]);
  });
});

describe('event bus', () => {
  it('is one bus named after the stack', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    expect(resources[ids.eventBus]?.Properties).toEqual({ Name: 'KaizenLoop-events' });
  });

  it.each(functionNames)('%s may put events on the bus only if it publishes, and on no other bus', (name) => {
    const events = statementsOfRole(roleIdOf(fnId(name), 'Role')).filter((s) =>
      [s.Action].flat().some((action) => action.startsWith('events:')),
    );
    expect(events).toEqual(
      (FUNCTIONS[name].access as StepAccess).events === 'publish'
        ? [{ Action: 'events:PutEvents', Effect: 'Allow', Resource: getAtt(ids.eventBus) }]
        : [],
    );
  });

  it('the request step publishes', () => {
    expect((FUNCTIONS.request.access as StepAccess).events).toBe('publish');
  });
});

describe('fleet sweep state machine', () => {
  it('is an Express workflow logging errors only, without execution data, traced by X-Ray', () => {
    expect(resources[ids.sweep]?.Properties).toMatchObject({
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: {
        Level: 'ERROR',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
      },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('logs to its own vendedlogs group kept for one month', () => {
    const groupId = logGroupOfStateMachine(ids.sweep);
    expect(groupId).not.toBe(logGroupOfStateMachine(ids.stateMachine));
    expect(resources[groupId]?.Properties.RetentionInDays).toBe(30);
    expect(JSON.stringify(resources[groupId]?.Properties.LogGroupName)).toContain(
      '/aws/vendedlogs/states/kaizen-fleet-sweep-',
    );
  });

  it('deploys the definition file unchanged, with the sweep function ARN substituted', () => {
    const props = resources[ids.sweep]?.Properties;
    expect(JSON.parse(props?.DefinitionString as string)).toEqual(
      JSON.parse(readDefinition(FLEET_SWEEP_ASL)),
    );
    expect(props?.DefinitionSubstitutions).toEqual(
      Object.fromEntries(SWEEP_STEPS.map((step) => [STEPS[step].placeholder, getAtt(fnId(step))])),
    );
  });

  it('can invoke exactly the sweep function, start only itself, and nothing but logs delivery and X-Ray besides', () => {
    const statements = statementsOfRole(roleIdOf(ids.sweep, 'RoleArn'));
    expect(statements.filter((s) => s.Action === 'lambda:InvokeFunction')).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: getAtt(fnId('sweep')) },
    ]);
    expect(statements.filter((s) => s.Action === 'states:StartExecution')).toEqual([
      {
        Action: 'states:StartExecution',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':states:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':stateMachine:KaizenLoop-fleet-sweep',
            ],
          ],
        },
      },
    ]);
    expect(resources[ids.sweep]?.Properties.StateMachineName).toBe('KaizenLoop-fleet-sweep');
    const others = statements
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a !== 'lambda:InvokeFunction' && a !== 'states:StartExecution');
    expect(others.filter((action) => !/^(logs|xray):/.test(action))).toEqual([]);
  });
});

describe('metrics trigger', () => {
  const [mappingId, mapping] = Object.entries(resources).find(
    ([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping',
  ) as [string, Resource];

  it('reads the metrics stream in batches of up to 100 records or 30 s, from the oldest retained record', () => {
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    expect(mapping.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [ids.metrics, 'StreamArn'] },
      FunctionName: { Ref: fnId('trigger') },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 30,
    });
  });

  it('is invoked only for inserted or modified kpi and drift records, not for drift the loop computed', () => {
    const filters = (mapping.Properties.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      {
        eventName: ['INSERT', 'MODIFY'],
        dynamodb: { NewImage: { type: { S: ['kpi', 'drift'] }, origin: { S: [{ exists: false }] } } },
      },
    ]);
  });

  it('bisects failing batches, retries them 3 times, then reports them to the failure queue', () => {
    expect(mapping.Properties).toMatchObject({
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: getAtt(ids.failureQueue) } },
    });
    // Without ReportBatchItemFailures a failed batch is retried whole; starts are idempotent.
    expect(mapping.Properties.FunctionResponseTypes).toBeUndefined();
    expect(mappingId).toContain('Trigger');
  });

  it('the failure queue is encrypted, keeps messages 14 days, is retained and accepts TLS only', () => {
    expect(resources[ids.failureQueue]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: ids.failureQueue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('may read the metrics stream and send to the failure queue, nothing else of either', () => {
    const statements = statementsOfRole(roleIdOf(fnId('trigger'), 'Role'));
    expect(statements).toContainEqual({
      Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [ids.metrics, 'StreamArn'] },
    });
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('sqs:')))).toEqual([
      {
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Effect: 'Allow',
        Resource: getAtt(ids.failureQueue),
      },
    ]);
  });
});

describe('least privilege per function', () => {
  type Store = 'metrics' | 'registry' | 'runs' | 'bucket';
  const refs: [Store, unknown][] = [
    ['metrics', getAtt(ids.metrics)],
    ['registry', getAtt(ids.registry)],
    ['runs', getAtt(ids.runs)],
    ['bucket', { 'Fn::Join': ['', [getAtt(ids.bucket), '/*']] }],
  ];

  /** Which stores the function's role can read (GetItem/GetObject) and write (PutItem/PutObject). */
  function accessOf(step: FunctionName): { read: Store[]; write: Store[]; services: string[] } {
    const read = new Set<Store>();
    const write = new Set<Store>();
    const services = new Set<string>();
    for (const statement of statementsOfRole(roleIdOf(fnId(step), 'Role'))) {
      expect(statement.Effect).toBe('Allow');
      const actions = [statement.Action].flat();
      const targets = [statement.Resource].flat().map((resource) => {
        const match = refs.find(([, ref]) => JSON.stringify(ref) === JSON.stringify(resource));
        return match?.[0];
      });
      for (const action of actions) {
        services.add(action.split(':')[0] as string);
        for (const target of targets) {
          if (!target) continue;
          if (action === 'dynamodb:GetItem' || action === 's3:GetObject') read.add(target);
          if (action === 'dynamodb:PutItem' || action === 's3:PutObject') write.add(target);
        }
      }
    }
    return { read: [...read].sort(), write: [...write].sort(), services: [...services].sort() };
  }

  it.each<[FunctionName, Store[], Store[]]>([
    // Monitor, sweep and trigger compute drift from datasets in the bucket and write it to the metrics table.
    ['monitor', ['bucket', 'metrics', 'registry'], ['metrics', 'registry']],
    ['analyze', [], []],
    ['train', ['bucket', 'registry'], ['bucket', 'registry']],
    ['evaluate', ['bucket'], []],
    ['deploy', ['registry'], ['registry']],
    ['verify', ['metrics'], []],
    ['rollback', ['registry'], ['registry']],
    // Record also writes the candidate's model card beside its artifact.
    ['record', ['bucket', 'registry', 'runs'], ['bucket', 'registry', 'runs']],
    // Prepare writes channel manifests and holdout snapshots; register only checks that artifacts exist.
    ['prepare', ['bucket'], ['bucket']],
    ['request', ['runs'], ['runs']],
    ['register', ['bucket', 'registry', 'runs'], ['registry', 'runs']],
    ['sweep', ['bucket', 'metrics', 'registry', 'runs'], ['metrics', 'runs']],
    ['trigger', ['bucket', 'metrics', 'registry', 'runs'], ['metrics', 'runs']],
    // The ingest function's objects are the drop folder's only (asserted with the ingestion construct).
    ['ingest', ['metrics', 'registry'], ['metrics']],
    ['api', ['metrics', 'registry', 'runs'], ['metrics']],
    ['pull', ['metrics', 'registry'], ['metrics']],
  ])('%s reads %j and writes %j', (step, read, write) => {
    const access = accessOf(step);
    expect({ read: access.read, write: access.write }).toEqual({ read, write });
  });

  /** Whether the function's role allows `action` on exactly `resource`. */
  function allows(step: FunctionName, action: string, resource: unknown): boolean {
    return statementsOfRole(roleIdOf(fnId(step), 'Role')).some(
      (s) =>
        [s.Action].flat().includes(action) &&
        [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)),
    );
  }

  it.each<FunctionName>(['monitor', 'sweep', 'trigger'])(
    '%s may batch-write computed drift rows to the metrics table',
    (step) => {
      expect(allows(step, 'dynamodb:BatchWriteItem', getAtt(ids.metrics))).toBe(true);
    },
  );

  it.each(functionNames.filter((name) => (FUNCTIONS[name].access as StepAccess).bucket))(
    '%s, which reads the bucket, may list it, so a missing key is NoSuchKey rather than AccessDenied',
    (step) => {
      expect(allows(step, 's3:ListBucket', getAtt(ids.bucket))).toBe(true);
    },
  );

  it('covers every function in the table above', () => {
    expect(functionNames).toHaveLength(16);
  });

  it.each<[FunctionName, string[]]>(
    functionNames.map((name) => [
      name,
      {
        sweep: ['states'],
        trigger: ['sqs', 'states'],
        request: ['events'],
        record: ['events'],
        // sqs: invocations it still fails after Lambda's retries go to the failed-events queue.
        ingest: ['events', 'sqs'],
        pull: ['cloudwatch'],
      }[name as string] ?? [],
    ]),
  )('%s can only use logs, X-Ray, DynamoDB and S3, and %j', (name, extra) => {
    const allowed = ['dynamodb', 'logs', 's3', 'xray', ...extra];
    expect(accessOf(name).services.filter((service) => !allowed.includes(service))).toEqual([]);
  });

  it.each(functionNames)(
    '%s can start the improvement loop only if it is the sweep or the trigger',
    (name) => {
      const states = statementsOfRole(roleIdOf(fnId(name), 'Role')).filter((s) =>
        [s.Action].flat().some((action) => action.startsWith('states:')),
      );
      expect(states).toEqual(
        name === 'sweep' || name === 'trigger'
          ? [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: ids.stateMachine } }]
          : [],
      );
    },
  );

  it('the sweep can query the registry index that lists the models', () => {
    const index = { 'Fn::Join': ['', [getAtt(ids.registry), '/index/*']] };
    expect(
      statementsOfRole(roleIdOf(fnId('sweep'), 'Role')).some(
        (s) =>
          [s.Action].flat().includes('dynamodb:Query') &&
          [s.Resource].flat().some((resource) => JSON.stringify(resource) === JSON.stringify(index)),
      ),
    ).toBe(true);
  });

  it.each(functionNames)('%s writes logs only to its own log group', (step) => {
    const logging = resources[fnId(step)]?.Properties.LoggingConfig as { LogGroup: { Ref: string } };
    const logStatements = statementsOfRole(roleIdOf(fnId(step), 'Role')).filter((s) =>
      [s.Action].flat().some((action) => action.startsWith('logs:')),
    );
    expect(logStatements).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: getAtt(logging.LogGroup.Ref),
      },
    ]);
  });
});

describe('schedule', () => {
  it('a schedule starts the fleet sweep with pages of 100 models, at fixed times', () => {
    // And the CloudWatch pull's schedule (asserted with the ingestion constructs).
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: SCHEDULE,
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: { Ref: ids.sweep },
        Input: Match.serializedJson({ pageSize: 100 }),
        RoleArn: Match.anyValue(),
      },
    });
  });

  it('the scheduler role can start executions of the fleet sweep and nothing else', () => {
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')) as Resource[];
    const roleId = getAttId((schedule?.Properties.Target as { RoleArn?: unknown } | undefined)?.RoleArn);
    expect(statementsOfRole(roleId)).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: ids.sweep } },
    ]);
  });
});

describe('stack outputs', () => {
  it.each<[string, unknown]>([
    ['MetricsTableName', { Ref: ids.metrics }],
    ['RegistryTableName', { Ref: ids.registry }],
    ['RunsTableName', { Ref: ids.runs }],
    ['BucketName', { Ref: ids.bucket }],
    ['ImprovementLoopArn', { Ref: ids.stateMachine }],
    ['FleetSweepArn', { Ref: ids.sweep }],
    ['NotificationTopicArn', { Ref: ids.topic }],
    ['EventBusName', { Ref: ids.eventBus }],
  ])('%s names the resource', (key, value) => {
    template.hasOutput(key, { Value: value });
  });

  it('has exactly the outputs the CLI reads', () => {
    expect(Object.keys(template.toJSON().Outputs as object).sort()).toEqual([...STACK_OUTPUTS].sort());
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('acknowledges only findings that actually occur, each with a reason', () => {
    expectOnlyLiveAcknowledgements(stack);
  });
});

/** Every acknowledgement under `scope` matches a finding the pack really raises there, and gives a reason. */
function expectOnlyLiveAcknowledgements(scope: IConstruct): void {
  // Replay the pack with acknowledgements ignored (a private hook of cdk-nag 3) to catch stale ones.
  const pack = new AwsSolutionsChecks();
  Object.assign(pack, { isAcknowledged: () => false });
  const raw = pack.validateScope(scope).violations;
  const acknowledged: { path: string; id: string; reason: string }[] = [];
  const walk = (construct: IConstruct): void => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        acknowledged.push({ path: construct.node.path, id: key.replace(/^annotation::/i, ''), reason });
      }
    }
    for (const child of construct.node.children) walk(child);
  };
  walk(scope);
  expect(acknowledged.length).toBeGreaterThan(0);
  for (const ack of acknowledged) {
    const hit = raw.some(
      (v) =>
        v.ruleName === ack.id &&
        v.violatingResources.some((r) => r.constructPath?.startsWith(`${ack.path}/`)),
    );
    expect({ ...ack, hit }).toMatchObject({
      hit: true,
      reason: expect.stringMatching(/\w{3,}.*\w{3,}.*\w{3,}/),
    });
  }
}

describe('stack props', () => {
  // Shape-only synthesis: no bundling, so it is cheap.
  const variant = new KaizenStack(testApp({ bundle: false }), 'Variant', {
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
    functionSettings: {
      train: { memoryMb: 3008, timeout: Duration.minutes(15) },
      trigger: { memoryMb: 1024 },
    },
  });
  const variantTemplate = Template.fromStack(variant);
  const variantFunction = (name: FunctionName) =>
    variantTemplate.toJSON().Resources[
      variant.getLogicalId(variant.functions[name].node.defaultChild as CfnElement)
    ].Properties as { MemorySize: number; Timeout: number };

  it('takes memory and timeout per function from functionSettings, the registry defaults elsewhere', () => {
    expect(variantFunction('train')).toMatchObject({ MemorySize: 3008, Timeout: 900 });
    expect(variantFunction('trigger')).toMatchObject({
      MemorySize: 1024,
      Timeout: FUNCTIONS.trigger.timeoutSeconds,
    });
    expect(variantFunction('evaluate')).toMatchObject({
      MemorySize: FUNCTIONS.evaluate.memoryMb,
      Timeout: FUNCTIONS.evaluate.timeoutSeconds,
    });
  });

  it('refuses a stack name that would make the fleet sweep name longer than Step Functions allows', () => {
    expect(() => new KaizenStack(testApp({ bundle: false }), 'K'.repeat(69))).toThrow(
      /is 81 characters; Step Functions allows 80/,
    );
  });

  it('sweeps the fleet hourly by default', () => {
    variantTemplate.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 hour)' });
  });

  it('applies logRetention to every log group', () => {
    const groups = Object.values(variantTemplate.findResources('AWS::Logs::LogGroup'));
    // One per function, one per state machine and the API's access logs.
    expect(groups).toHaveLength(functionNames.length + 3);
    expect(groups.map((g) => (g as Resource).Properties.RetentionInDays)).toEqual(groups.map(() => 7));
  });

  it.each([
    'AWS::DynamoDB::Table',
    'AWS::S3::Bucket',
    'AWS::Logs::LogGroup',
    'AWS::KMS::Key',
    'AWS::SQS::Queue',
  ])('applies removalPolicy to every %s', (type) => {
    const found = Object.values(variantTemplate.findResources(type)) as Resource[];
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((r) => r.DeletionPolicy)).toEqual(found.map(() => 'Delete'));
  });
});
