import { CfnOutput, type RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import type { Construct } from 'constructs';
import { DataStores } from './data-stores.ts';
import { ImprovementLoop } from './improvement-loop.ts';
import { ModelSchedules } from './schedule.ts';

/** Output keys of the stack; the CLI reads them to find a deployed stack's resources. */
export const STACK_OUTPUTS = [
  'MetricsTableName',
  'RegistryTableName',
  'RunsTableName',
  'BucketName',
  'ImprovementLoopArn',
  'NotificationTopicArn',
] as const;

export type StackOutput = (typeof STACK_OUTPUTS)[number];

export interface KaizenStackProps extends StackProps {
  /**
   * Models whose improvement loop runs on `scheduleExpression`.
   * @default - none; start executions by hand or from the fleet sweep
   */
  readonly scheduledModels?: readonly string[];
  /**
   * EventBridge Scheduler expression (`rate(...)`, `cron(...)`) for the scheduled models.
   * @default 'rate(1 day)'
   */
  readonly scheduleExpression?: string;
  /**
   * Retention of all log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to tables, buckets, log groups and keys when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Kaizen Loop: data stores, the improvement loop and its schedules, with the outputs the CLI reads. */
export class KaizenStack extends Stack {
  /** Tables and buckets. */
  public readonly dataStores: DataStores;
  /** Step functions, notification topic and the improvement-loop state machine. */
  public readonly improvementLoop: ImprovementLoop;
  /** Present when `scheduledModels` is not empty. */
  public readonly schedules?: ModelSchedules;

  constructor(scope: Construct, id: string, props: KaizenStackProps = {}) {
    super(scope, id, {
      description: 'Kaizen Loop: monitor, analyze, retrain, gate, deploy, verify and roll back ML models',
      ...props,
    });

    this.dataStores = new DataStores(this, 'DataStores', { removalPolicy: props.removalPolicy });
    this.improvementLoop = new ImprovementLoop(this, 'ImprovementLoop', {
      metricsTable: this.dataStores.metricsTable,
      registryTable: this.dataStores.registryTable,
      runsTable: this.dataStores.runsTable,
      bucket: this.dataStores.bucket,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    const scheduledModels = props.scheduledModels ?? [];
    if (scheduledModels.length > 0) {
      this.schedules = new ModelSchedules(this, 'Schedules', {
        stateMachine: this.improvementLoop.stateMachine,
        modelIds: scheduledModels,
        schedule: ScheduleExpression.expression(props.scheduleExpression ?? 'rate(1 day)'),
      });
    }

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
      NotificationTopicArn: {
        value: this.improvementLoop.topic.topicArn,
        description: 'Failure notifications',
      },
    };
    for (const [key, output] of Object.entries(outputs)) new CfnOutput(this, key, output);
  }
}
