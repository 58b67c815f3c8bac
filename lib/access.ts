import { type Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnTable, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ENV } from '#contracts/env.ts';
import { type Access, FUNCTIONS, type FunctionName, type StepAccess } from '#contracts/steps.ts';
import { INGEST_PREFIX } from '#contracts/workflows.ts';
import { StepFunction } from './step-function.ts';

const BUCKET_ACTIONS: Record<Access, { objects: string[]; bucket: string[] }> = {
  // ListBucket turns a missing key into NoSuchKey instead of AccessDenied.
  read: { objects: ['s3:GetObject'], bucket: ['s3:ListBucket'] },
  readWrite: {
    objects: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
    bucket: ['s3:ListBucket'],
  },
};

/** Memory and timeout of one function, overriding the step registry's defaults. */
export interface FunctionSettings {
  /** @default FUNCTIONS[name].memoryMb */
  readonly memoryMb?: number;
  /** @default FUNCTIONS[name].timeoutSeconds */
  readonly timeout?: Duration;
}

/** Settings per function (CDK context `kaizen:memory:<name>`, `kaizen:timeout:<name>`). */
export type FunctionSettingsMap = Readonly<Partial<Record<FunctionName, FunctionSettings>>>;

/** The tables and the bucket of Kaizen Loop, as the functions see them. */
export interface KaizenStores {
  /** KPI and drift observations. */
  readonly metricsTable: ITable;
  /** Policies, versions, aliases and locks. */
  readonly registryTable: ITable;
  /** Run records, check records and start markers. */
  readonly runsTable: ITable;
  /** Datasets and model artifacts. */
  readonly bucket: IBucket;
}

export interface KaizenFunctionProps {
  /** Which function to build; its grants come from the step registry's `access`. */
  readonly name: FunctionName;
  /** The stores to grant access to. */
  readonly stores: KaizenStores;
  /** The improvement loop; required when the function's access includes `loop: 'start'`. */
  readonly loop?: IStateMachine;
  /** The stack's event bus; required when the function's access includes `events: 'publish'`. */
  readonly eventBus?: IEventBus;
  /** Memory and timeout instead of the registry's defaults. */
  readonly settings?: FunctionSettings;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Builds one function with the `StepFunction` defaults, the names of all stores in its environment
 * (the handlers' context reads them all) and exactly the grants of `FUNCTIONS[name].access`; the loop's ARN
 * and the event bus's name only for the functions that start the loop or publish events.
 */
export function kaizenFunction(scope: Construct, id: string, props: KaizenFunctionProps): StepFunction {
  const access: StepAccess = FUNCTIONS[props.name].access;
  if (access.loop && !props.loop)
    throw new Error(`function ${props.name} starts the improvement loop: pass loop`);
  if (access.events && !props.eventBus)
    throw new Error(`function ${props.name} publishes events: pass eventBus`);
  const { stores } = props;
  const environment: Record<string, string> = {
    [ENV.metricsTable]: stores.metricsTable.tableName,
    [ENV.registryTable]: stores.registryTable.tableName,
    [ENV.runsTable]: stores.runsTable.tableName,
    [ENV.bucket]: stores.bucket.bucketName,
  };
  if (access.loop && props.loop) environment[ENV.loopArn] = props.loop.stateMachineArn;
  if (access.events && props.eventBus) environment[ENV.eventBus] = props.eventBus.eventBusName;
  const built = new StepFunction(scope, id, {
    step: props.name,
    ...props.settings,
    environment,
    logRetention: props.logRetention,
    logRemovalPolicy: props.removalPolicy,
  });
  grantAccess(built.lambdaFunction, access, stores);
  if (access.loop && props.loop) props.loop.grantStartExecution(built.lambdaFunction);
  // events:PutEvents on this one bus only.
  if (access.events && props.eventBus) props.eventBus.grantPutEventsTo(built.lambdaFunction);
  return built;
}

function grantAccess(fn: IFunction, access: StepAccess, stores: KaizenStores): void {
  const tables: [Access | undefined, ITable][] = [
    [access.metrics, stores.metricsTable],
    [access.registry, stores.registryTable],
    [access.runs, stores.runsTable],
  ];
  for (const [level, table] of tables) {
    if (level === 'read') table.grantReadData(fn);
    if (level === 'readWrite') table.grantReadWriteData(fn);
    const finding = level && tableIndexesFinding(table);
    if (finding) {
      acknowledge(
        fn,
        finding,
        'Queries read the secondary indexes of this one table (`byKind` lists the models).',
      );
    }
  }
  if (access.dropFolder) grantDropFolder(fn, stores.bucket);
  if (access.cloudwatch) grantMetricData(fn);
  if (access.bucket) {
    const actions = BUCKET_ACTIONS[access.bucket];
    fn.addToRolePolicy(
      new PolicyStatement({ actions: actions.objects, resources: [stores.bucket.arnForObjects('*')] }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({ actions: actions.bucket, resources: [stores.bucket.bucketArn] }),
    );
    // A customer-managed bucket key (if the caller brings one) also needs grants on the key.
    if (access.bucket === 'read') stores.bucket.encryptionKey?.grantDecrypt(fn);
    else stores.bucket.encryptionKey?.grantEncryptDecrypt(fn);
    const finding = bucketObjectsFinding(stores.bucket);
    if (finding) {
      acknowledge(
        fn,
        finding,
        'Dataset and artifact keys are chosen per model and run at run time; ' +
          'the wildcard stays within this one bucket.',
      );
    }
  }
}

/** Object actions of the drop folder's function, on `ingest/*` only: read, report, copy and delete. */
const DROP_FOLDER_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'];

function grantDropFolder(fn: IFunction, bucket: IBucket): void {
  fn.addToRolePolicy(
    new PolicyStatement({
      actions: DROP_FOLDER_ACTIONS,
      resources: [bucket.arnForObjects(`${INGEST_PREFIX}*`)],
    }),
  );
  // ListBucket turns a file already moved (a repeated notification) into NoSuchKey instead of AccessDenied.
  fn.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
  bucket.encryptionKey?.grantEncryptDecrypt(fn);
  const resource = bucket.node.defaultChild;
  if (resource instanceof CfnBucket) {
    acknowledge(
      fn,
      `AwsSolutions-IAM5[Resource::<${Stack.of(resource).getLogicalId(resource)}.Arn>/${INGEST_PREFIX}*]`,
      'Producers choose the names of the files they drop; the wildcard stays within the drop folder of this bucket.',
    );
  }
}

/** CloudWatch GetMetricData, which supports no resource-level permissions. */
function grantMetricData(fn: IFunction): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
  acknowledge(
    fn,
    'AwsSolutions-IAM5[Resource::*]',
    'cloudwatch:GetMetricData does not support resource-level permissions; the function only reads metric data.',
  );
}

function acknowledge(fn: IFunction, id: string, reason: string): void {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy');
  if (policy) Validations.of(policy).acknowledge({ id, reason });
}

/**
 * The cdk-nag IAM5 finding id of `<table ARN>/index/*`, which CDK's table grants add for a table of this
 * app that has secondary indexes; undefined otherwise (imported tables: their owner acknowledges it).
 */
function tableIndexesFinding(table: ITable): string | undefined {
  const resource = table.node.defaultChild;
  if (!(resource instanceof CfnTable)) return undefined;
  const stack = Stack.of(resource);
  const global = stack.resolve(resource.globalSecondaryIndexes) as unknown[] | undefined;
  const local = stack.resolve(resource.localSecondaryIndexes) as unknown[] | undefined;
  if ((global?.length ?? 0) + (local?.length ?? 0) === 0) return undefined;
  return `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(resource)}.Arn>/index/*]`;
}

/**
 * The cdk-nag IAM5 finding id of `<bucket ARN>/*` for a bucket defined in this app (cdk-nag renders
 * `Fn::GetAtt` as `<LogicalId.Arn>`); undefined for imported buckets, whose owner acknowledges it.
 */
function bucketObjectsFinding(bucket: IBucket): string | undefined {
  const resource = bucket.node.defaultChild;
  if (!(resource instanceof CfnBucket)) return undefined;
  return `AwsSolutions-IAM5[Resource::<${Stack.of(resource).getLogicalId(resource)}.Arn>/*]`;
}
