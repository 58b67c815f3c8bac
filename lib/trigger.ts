import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { FilterCriteria, FilterRule, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { type FunctionSettings, type KaizenStores, kaizenFunction } from './access.ts';

export interface MetricsTriggerProps extends KaizenStores {
  /** The improvement loop the trigger starts for models whose policy says `retrain`. */
  readonly improvementLoop: IStateMachine;
  /**
   * Memory and timeout of the trigger function.
   * @default - the step registry's defaults
   */
  readonly functionSettings?: FunctionSettings;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group and the failure queue when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Reacts to new KPI and drift records: the trigger function reads the metrics table's stream (inserts and
 * updates of `kpi` and `drift` items only, filtered before Lambda is invoked) and starts the improvement
 * loop where a model's policy says `retrain`. Batches that still fail after bisecting and retrying are
 * reported to an encrypted, TLS-only queue.
 */
export class MetricsTrigger extends Construct {
  /** The trigger function. */
  public readonly lambdaFunction: IFunction;
  /** Where the stream mapping reports batches it gave up on (shard and sequence numbers, not the records). */
  public readonly failureQueue: Queue;
  /** The event source (its mapping id names the stream mapping). */
  public readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: MetricsTriggerProps) {
    super(scope, id);
    const { lambdaFunction } = kaizenFunction(this, 'Trigger', {
      name: 'trigger',
      stores: props,
      settings: props.functionSettings,
      loop: props.improvementLoop,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.lambdaFunction = lambdaFunction;

    this.failureQueue = new Queue(this, 'FailedBatches', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the metrics stream mapping; cdk-nag only ' +
        'recognises queue redrive policies and function dead-letter configs as DLQ uses.',
    });

    this.eventSource = new DynamoEventSource(props.metricsTable, {
      // Starts are idempotent (start markers), so replaying the retained stream is safe; skipping records is not.
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(30),
      bisectBatchOnError: true,
      retryAttempts: 3,
      reportBatchItemFailures: false,
      onFailure: new SqsDlq(this.failureQueue),
      filters: [
        FilterCriteria.filter({
          eventName: FilterRule.or('INSERT', 'MODIFY'),
          // Drift rows the loop computed itself carry `origin`: reacting to them would be the loop triggering itself.
          // `exists` only matches leaf values, so the pattern names the attribute's type (`{"S": "monitor"}`).
          dynamodb: {
            NewImage: { type: { S: FilterRule.or('kpi', 'drift') }, origin: { S: FilterRule.notExists() } },
          },
        }),
      ],
    });
    lambdaFunction.addEventSource(this.eventSource);

    const policy = lambdaFunction.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams (granted by the stream event source) does not support resource-level ' +
          'permissions; reading records is limited to the metrics table stream.',
      });
    }
  }
}
