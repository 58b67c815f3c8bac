import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CfnElement, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, describe, expect, it } from 'vitest';
import { KaizenStack, STACK_OUTPUTS } from '#lib/kaizen-stack.ts';
import { addNagChecks, nagFindings } from '#lib/nag.ts';
import { PROJECT_ROOT, readDefinition } from '#lib/project.ts';
import { IMPROVEMENT_LOOP_ASL, STEPS, type StepName } from '../../functions/steps.ts';
import { testApp } from './cdk-app.ts';

// The one bundling synthesis of this file. Its cloud assembly lives under node_modules so the
// bundles can import the externalised @aws-sdk packages when the test loads them.
const cacheDir = join(PROJECT_ROOT, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const outdir = mkdtempSync(join(cacheDir, 'kaizen-cdk-test-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const MODELS = ['churn', 'fraud'];
const SCHEDULE = 'cron(0 6 * * ? *)';
const app = testApp({ bundle: true, outdir });
addNagChecks(app);
const stack = new KaizenStack(app, 'KaizenLoop', { scheduledModels: MODELS, scheduleExpression: SCHEDULE });
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

const stepNames = Object.keys(STEPS) as StepName[];
const fnId = (step: StepName) => idOf(stack.improvementLoop.functions[step]);
const ids = {
  metrics: idOf(stack.dataStores.metricsTable),
  registry: idOf(stack.dataStores.registryTable),
  runs: idOf(stack.dataStores.runsTable),
  bucket: idOf(stack.dataStores.bucket),
  logBucket: idOf(stack.dataStores.accessLogsBucket),
  stateMachine: idOf(stack.improvementLoop.stateMachine),
  topic: idOf(stack.improvementLoop.topic),
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

function roleIdOf(resourceId: string, property: string): string {
  return getAttId(resources[resourceId]?.Properties[property]);
}

describe('Lambda steps', () => {
  const timeouts: Record<StepName, number> = {
    monitor: 30,
    analyze: 30,
    train: 300,
    evaluate: 300,
    deploy: 30,
    verify: 30,
    rollback: 30,
    record: 30,
  };

  it.each(stepNames)(
    '%s runs on Node.js 24 arm64 with active tracing, its memory and its timeout',
    (step) => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: `Kaizen Loop ${step} step`,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        MemorySize: STEPS[step].memoryMb,
        Timeout: timeouts[step],
      });
    },
  );

  it.each(stepNames)('%s gets the Powertools settings and the names of the tables and the bucket', (step) => {
    expect(resources[fnId(step)]?.Properties.Environment).toEqual({
      Variables: {
        POWERTOOLS_SERVICE_NAME: 'kaizen-loop',
        POWERTOOLS_METRICS_NAMESPACE: 'KaizenLoop',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        KAIZEN_METRICS_TABLE: { Ref: ids.metrics },
        KAIZEN_REGISTRY_TABLE: { Ref: ids.registry },
        KAIZEN_RUNS_TABLE: { Ref: ids.runs },
        KAIZEN_BUCKET: { Ref: ids.bucket },
      },
    });
  });

  it.each(stepNames)('%s logs to its own log group kept for one month', (step) => {
    const logging = resources[fnId(step)]?.Properties.LoggingConfig as { LogGroup: { Ref: string } };
    expect(resources[logging.LogGroup.Ref]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it.each(stepNames)(
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
    ['metrics', ids.metrics],
    ['registry', ids.registry],
    ['runs', ids.runs],
  ])(
    'the %s table has string pk/sk keys, on-demand billing, PITR, KMS encryption and is retained',
    (_name, id) => {
      expect(resources[id]).toMatchObject({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        Properties: {
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
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

  it.each([ids.registry, ids.runs])('table %s has no stream', (id) => {
    expect(resources[id]?.Properties.StreamSpecification).toBeUndefined();
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
    const logging = resources[ids.stateMachine]?.Properties.LoggingConfiguration as {
      Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: unknown } }[];
    };
    const groupId = getAttId(logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn);
    expect(resources[groupId]?.Properties.RetentionInDays).toBe(30);
    expect(JSON.stringify(resources[groupId]?.Properties.LogGroupName)).toContain('/aws/vendedlogs/states/');
  });

  it('deploys the definition file unchanged, with each step function ARN and the topic substituted', () => {
    const props = resources[ids.stateMachine]?.Properties;
    expect(JSON.parse(props?.DefinitionString as string)).toEqual(
      JSON.parse(readDefinition(IMPROVEMENT_LOOP_ASL)),
    );
    expect(props?.DefinitionSubstitutions).toEqual({
      ...Object.fromEntries(stepNames.map((step) => [STEPS[step].placeholder, getAtt(fnId(step))])),
      NotificationTopicArn: { Ref: ids.topic },
    });
  });

  it('can invoke exactly the step functions and publish to the topic', () => {
    const statements = statementsOfRole(roleIdOf(ids.stateMachine, 'RoleArn'));
    const invoke = statements.filter((s) => s.Action === 'lambda:InvokeFunction');
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.Resource).toEqual(stepNames.map((step) => getAtt(fnId(step))));
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

describe('least privilege per step', () => {
  type Store = 'metrics' | 'registry' | 'runs' | 'bucket';
  const refs: [Store, unknown][] = [
    ['metrics', getAtt(ids.metrics)],
    ['registry', getAtt(ids.registry)],
    ['runs', getAtt(ids.runs)],
    ['bucket', { 'Fn::Join': ['', [getAtt(ids.bucket), '/*']] }],
  ];

  /** Which stores the step's role can read (GetItem/GetObject) and write (PutItem/PutObject). */
  function accessOf(step: StepName): { read: Store[]; write: Store[]; services: string[] } {
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

  it.each<[StepName, Store[], Store[]]>([
    ['monitor', ['metrics', 'registry'], []],
    ['analyze', [], []],
    ['train', ['bucket', 'registry'], ['bucket', 'registry']],
    ['evaluate', ['bucket', 'registry'], []],
    ['deploy', ['registry'], ['registry']],
    ['verify', ['metrics'], []],
    ['rollback', ['registry'], ['registry']],
    ['record', ['registry', 'runs'], ['registry', 'runs']],
  ])('%s reads %j and writes %j', (step, read, write) => {
    const access = accessOf(step);
    expect({ read: access.read, write: access.write }).toEqual({ read, write });
  });

  it.each(stepNames)('%s can only use logs, X-Ray, DynamoDB and S3', (step) => {
    const allowed = ['dynamodb', 'logs', 's3', 'xray'];
    expect(accessOf(step).services.filter((service) => !allowed.includes(service))).toEqual([]);
  });

  it.each(stepNames)('%s writes logs only to its own log group', (step) => {
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

describe('schedules', () => {
  it.each(MODELS)(
    'model %s is started on the schedule with force and dryRun off, at fixed times',
    (modelId) => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: SCHEDULE,
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        Target: {
          Arn: { Ref: ids.stateMachine },
          Input: Match.serializedJson({ modelId, force: false, dryRun: false }),
          RoleArn: Match.anyValue(),
        },
      });
    },
  );

  it('creates one schedule per scheduled model', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', MODELS.length);
  });

  it('the scheduler role can start executions of the improvement loop and nothing else', () => {
    const [schedule] = Object.values(template.findResources('AWS::Scheduler::Schedule')) as Resource[];
    const roleId = getAttId((schedule?.Properties.Target as { RoleArn?: unknown } | undefined)?.RoleArn);
    expect(statementsOfRole(roleId)).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: ids.stateMachine } },
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
    ['NotificationTopicArn', { Ref: ids.topic }],
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
    // Replay the pack with acknowledgements ignored (a private hook of cdk-nag 3) to catch stale ones.
    const pack = new AwsSolutionsChecks();
    Object.assign(pack, { isAcknowledged: () => false });
    const raw = pack.validateScope(stack).violations;
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
    walk(stack);
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
  });
});

describe('stack props', () => {
  // Shape-only synthesis: no bundling, so it is cheap.
  const variant = new KaizenStack(testApp({ bundle: false }), 'Variant', {
    logRetention: RetentionDays.ONE_WEEK,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const variantTemplate = Template.fromStack(variant);

  it('creates no schedule when no model is scheduled', () => {
    variantTemplate.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('applies logRetention to every log group', () => {
    const groups = Object.values(variantTemplate.findResources('AWS::Logs::LogGroup'));
    expect(groups).toHaveLength(stepNames.length + 1);
    expect(groups.map((g) => (g as Resource).Properties.RetentionInDays)).toEqual(groups.map(() => 7));
  });

  it.each(['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::KMS::Key'])(
    'applies removalPolicy to every %s',
    (type) => {
      const found = Object.values(variantTemplate.findResources(type)) as Resource[];
      expect(found.length).toBeGreaterThan(0);
      expect(found.map((r) => r.DeletionPolicy)).toEqual(found.map(() => 'Delete'));
    },
  );
});
