import { Aws, CfnOutput, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StackOutput } from '#contracts/outputs.ts';
import type { FunctionName } from '#contracts/steps.ts';
import type { FunctionSettingsMap } from './access.ts';
import { KaizenApi, type KaizenApiProps } from './api.ts';
import { DataStores } from './data-stores.ts';
import type { DeployTargets } from './deployment-targets.ts';
import { FleetSweep } from './fleet-sweep.ts';
import { ImprovementLoop } from './improvement-loop.ts';
import { Ingestion } from './ingestion.ts';
import { MetricPull } from './metric-pull.ts';
import { KaizenMonitoring, type KaizenMonitoringProps } from './monitoring.ts';
import { FleetSchedule, parseScheduleExpression } from './schedule.ts';
import { MetricsTrigger } from './trigger.ts';

export interface KaizenStackProps extends StackProps {
  /**
   * EventBridge Scheduler expression (`rate(...)`, `cron(...)`) on which the fleet sweep runs.
   * @default 'rate(1 hour)'
   */
  readonly scheduleExpression?: string;
  /**
   * Memory and timeout per function (`bin/app.ts` reads them from the CDK context `kaizen:memory:<name>`
   * and `kaizen:timeout:<name>`).
   * @default - the step registry's defaults (`FUNCTIONS` in `functions/contracts/steps.ts`)
   */
  readonly functionSettings?: FunctionSettingsMap;
  /**
   * Retention of all log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to tables, buckets, queues, log groups and keys when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * ARN of an existing IAM role for the SageMaker training and scoring jobs (`bin/app.ts` reads the CDK
   * context `kaizen:sagemakerRoleArn`). It is imported unchanged: it must trust `sagemaker.amazonaws.com` and
   * allow the bucket, ECR and logs access the jobs need.
   * @default - a least-privilege role created by the stack
   */
  readonly sagemakerRoleArn?: string;
  /**
   * The SageMaker endpoints the improvement loop may deploy to (`bin/app.ts` reads the CDK context
   * `kaizen:deployEndpoints`): names, or `'*'` for any endpoint of the account and region.
   * @default - none: a deploy to an endpoint fails with AccessDenied and the run is recorded as failed
   */
  readonly deployEndpoints?: DeployTargets;
  /**
   * The Lambda functions the improvement loop may deploy to (`bin/app.ts` reads the CDK context
   * `kaizen:deployFunctions`): names or unqualified ARNs, or `'*'` for any function of the account and region.
   * @default - none: a deploy to a function fails with AccessDenied and the run is recorded as failed
   */
  readonly deployFunctions?: DeployTargets;
  /**
   * Alarm thresholds, the expected sweep interval and whether to create the dashboard (`bin/app.ts` reads
   * `kaizen:dashboard` and `kaizen:sweepInterval` from the CDK context).
   * @default - KaizenMonitoring's defaults: a dashboard, every failure alarms
   */
  readonly monitoring?: Partial<
    Pick<
      KaizenMonitoringProps,
      | 'dashboard'
      | 'dashboardName'
      | 'sweepInterval'
      | 'sweepDurationThreshold'
      | 'maxFailedExecutions'
      | 'maxLambdaErrors'
      | 'maxLambdaThrottles'
      | 'maxFailedBatches'
    >
  >;
  /**
   * EventBridge Scheduler expression on which KPIs kept as CloudWatch metrics are pulled.
   * @default 'rate(1 hour)'
   */
  readonly pullScheduleExpression?: string;
  /**
   * The HTTPS API's authorizer and throttling (`authorizer`: e.g. a Cognito user pools authorizer instead of IAM).
   * @default - IAM (SigV4), 50 requests per second with bursts of 100
   */
  readonly api?: Pick<KaizenApiProps, 'authorizer' | 'throttlingRateLimit' | 'throttlingBurstLimit'>;
}

/**
 * Kaizen Loop: data stores, the event bus, the improvement loop, the scheduled fleet sweep and the
 * metrics-stream trigger that start it, with the outputs the CLI reads.
 */
export class KaizenStack extends Stack {
  /** Tables and buckets. */
  public readonly dataStores: DataStores;
  /** Step functions, notification topic and the improvement-loop state machine. */
  public readonly improvementLoop: ImprovementLoop;
  /** The sweep function and the Express fleet-sweep state machine. */
  public readonly fleetSweep: FleetSweep;
  /** The schedule that starts the fleet sweep. */
  public readonly schedule: FleetSchedule;
  /** The DynamoDB Streams trigger on new KPI and drift records. */
  public readonly trigger: MetricsTrigger;
  /** The drop folder's S3 notifications and the `Kaizen Observation` rule, with their ingest function. */
  public readonly ingestion: Ingestion;
  /** The scheduled pull of KPIs kept as CloudWatch metrics. */
  public readonly metricPull: MetricPull;
  /** The HTTPS API for producers (`POST /observations`, `GET /models/{id}/status`). */
  public readonly api: KaizenApi;
  /** Where Kaizen Loop publishes its events (source `kaizen-loop`), e.g. training requests for external trainers. */
  public readonly eventBus: EventBus;
  /** Every Lambda function of the app, by name. */
  public readonly functions: Readonly<Record<FunctionName, IFunction>>;
  /** The alarms (to the notification topic) and the dashboard. */
  public readonly monitoring: KaizenMonitoring;

  constructor(scope: Construct, id: string, props: KaizenStackProps = {}) {
    super(scope, id, {
      description: 'Kaizen Loop: monitor, analyze, retrain, gate, deploy, verify and roll back ML models',
      ...props,
    });
    const common = {
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      functionSettings: props.functionSettings,
    };

    this.dataStores = new DataStores(this, 'DataStores', { removalPolicy: props.removalPolicy });
    const stores = {
      metricsTable: this.dataStores.metricsTable,
      registryTable: this.dataStores.registryTable,
      runsTable: this.dataStores.runsTable,
      bucket: this.dataStores.bucket,
    };
    this.eventBus = new EventBus(this, 'EventBus', { eventBusName: `${this.stackName}-events` });
    this.improvementLoop = new ImprovementLoop(this, 'ImprovementLoop', {
      ...stores,
      ...common,
      eventBus: this.eventBus,
      sagemakerRoleArn: props.sagemakerRoleArn,
      deployEndpoints: props.deployEndpoints,
      deployFunctions: props.deployFunctions,
    });
    const improvementLoop = this.improvementLoop.stateMachine;
    this.fleetSweep = new FleetSweep(this, 'FleetSweep', { ...stores, ...common, improvementLoop });
    this.schedule = new FleetSchedule(this, 'Schedule', {
      stateMachine: this.fleetSweep.stateMachine,
      schedule: parseScheduleExpression(props.scheduleExpression ?? 'rate(1 hour)'),
    });
    this.trigger = new MetricsTrigger(this, 'Trigger', {
      ...stores,
      ...common,
      functionSettings: props.functionSettings?.trigger,
      improvementLoop,
    });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      ...stores,
      ...common,
      functionSettings: props.functionSettings?.ingest,
      eventBus: this.eventBus,
    });
    this.api = new KaizenApi(this, 'Api', {
      ...stores,
      ...common,
      ...props.api,
      functionSettings: props.functionSettings?.api,
    });
    this.metricPull = new MetricPull(this, 'MetricPull', {
      ...stores,
      ...common,
      functionSettings: props.functionSettings?.pull,
      ...(props.pullScheduleExpression
        ? { schedule: parseScheduleExpression(props.pullScheduleExpression) }
        : {}),
    });
    this.functions = {
      ...this.improvementLoop.functions,
      ...this.fleetSweep.functions,
      trigger: this.trigger.lambdaFunction,
      ingest: this.ingestion.lambdaFunction,
      api: this.api.lambdaFunction,
      pull: this.metricPull.lambdaFunction,
    };

    const scheduleExpression = props.scheduleExpression ?? 'rate(1 hour)';
    this.monitoring = new KaizenMonitoring(this, 'Monitoring', {
      ...props.monitoring,
      topic: this.improvementLoop.topic,
      improvementLoop,
      fleetSweep: this.fleetSweep.stateMachine,
      functions: this.functions,
      triggerFailures: this.trigger.failureQueue,
      ingestFailures: this.ingestion.failedEvents,
      tables: [stores.metricsTable, stores.registryTable, stores.runsTable],
      scheduleExpression,
    });
    const dashboardUrl = this.monitoring.dashboard
      ? `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.monitoring.dashboardName}`
      : 'none: the dashboard is turned off (kaizen:dashboard=false)';

    const outputs: Record<StackOutput, { value: string; description: string }> = {
      MetricsTableName: { value: this.dataStores.metricsTable.tableName, description: 'KPI and drift table' },
      RegistryTableName: {
        value: this.dataStores.registryTable.tableName,
        description: 'Model registry table',
      },
      RunsTableName: { value: this.dataStores.runsTable.tableName, description: 'Run records table' },
      BucketName: { value: this.dataStores.bucket.bucketName, description: 'Datasets and model artifacts' },
      ImprovementLoopArn: {
        value: this.improvementLoop.stateMachine.stateMachineArn,
        description: 'Improvement loop state machine',
      },
      FleetSweepArn: {
        value: this.fleetSweep.stateMachine.stateMachineArn,
        description: 'Fleet sweep state machine (Express)',
      },
      NotificationTopicArn: {
        value: this.improvementLoop.topic.topicArn,
        description:
          'Notifications (blocked, approvals, rollbacks, failures, as each policy asks) and alarms',
      },
      DashboardUrl: { value: dashboardUrl, description: 'CloudWatch dashboard of Kaizen Loop' },
      ApiUrl: {
        value: this.api.api.url,
        description: 'HTTPS API for producers: POST observations, GET models/{id}/status (SigV4 by default)',
      },
      EventBusName: {
        value: this.eventBus.eventBusName,
        description: 'Event bus of Kaizen Loop events (training requests for external trainers)',
      },
    };
    for (const [key, output] of Object.entries(outputs)) new CfnOutput(this, key, output);
  }
}
