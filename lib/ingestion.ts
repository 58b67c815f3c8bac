import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type IEventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DATASETS_PREFIX, EVENT_SOURCE, INGEST_PREFIX, OBSERVATION_EVENT } from '#contracts/workflows.ts';
import { DROP_EXTENSIONS } from '#domain/drop.ts';
import { type FunctionSettings, type KaizenStores, kaizenFunction } from './access.ts';

export interface IngestionProps extends KaizenStores {
  /** The stack's bus: its `Kaizen Observation` events are ingested and rejections are published on it. */
  readonly eventBus: IEventBus;
  /**
   * Memory and timeout of the ingest function.
   * @default - the step registry's defaults
   */
  readonly functionSettings?: FunctionSettings;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group and the failed-events queue when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Two ways in for observations, one function: files created under `ingest/` in the artifacts bucket (S3
 * notifications, one per accepted extension) and `Kaizen Observation` events on the stack's bus from any
 * source but Kaizen Loop itself. The same function records the arrival of window datasets created under
 * `datasets/` (one more notification). Events that still fail after EventBridge's retries go to an encrypted,
 * TLS-only queue.
 */
export class Ingestion extends Construct {
  /** The ingest function. */
  public readonly lambdaFunction: IFunction;
  /** The rule that sends `Kaizen Observation` events to it. */
  public readonly rule: Rule;
  /**
   * Where EventBridge puts events it could not deliver, and Lambda the invocations (S3 notifications, events) the
   * function still failed after its retries.
   */
  public readonly failedEvents: Queue;

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const { lambdaFunction } = kaizenFunction(this, 'Ingest', {
      name: 'ingest',
      stores: props,
      eventBus: props.eventBus,
      settings: props.functionSettings,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.lambdaFunction = lambdaFunction;

    // Moved files land under ingest/done/ and ingest/failed/ and notify again: the function skips them.
    // Reports end in .report.json, which no filter accepts.
    for (const suffix of DROP_EXTENSIONS) {
      props.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(lambdaFunction), {
        prefix: INGEST_PREFIX,
        suffix,
      });
    }

    // Window datasets: each new object is recorded as an arrival for the models awaiting it, so sweeps need no
    // S3 request to learn it has come.
    props.bucket.addEventNotification(EventType.OBJECT_CREATED, new LambdaDestination(lambdaFunction), {
      prefix: DATASETS_PREFIX,
    });

    // CDK's singleton custom resource that writes the bucket's notification configuration.
    const notifier = Stack.of(this)
      .node.children.find((child) => child.node.id.startsWith('BucketNotificationsHandler'))
      ?.node.tryFindChild('Role');
    if (notifier) {
      Validations.of(notifier).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          "CDK's bucket-notifications custom resource only writes its own logs with this policy; it runs at deploy " +
          'time and its role cannot be configured.',
      });
    }

    this.failedEvents = new Queue(this, 'FailedEvents', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    Validations.of(this.failedEvents).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the observation rule target and the on-failure destination ' +
        'of the ingest function; cdk-nag only recognises queue redrive policies and function dead-letter configs ' +
        'as DLQ uses.',
    });
    // S3 notifications and the rule's events invoke the function asynchronously: one it still fails after
    // Lambda's two retries (a dropped file, a dataset arrival, an event) is kept here rather than lost.
    lambdaFunction.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SqsDestination(this.failedEvents),
    });
    this.rule = new Rule(this, 'ObservationRule', {
      eventBus: props.eventBus,
      description:
        'Kaizen Observation events (one row, or many in detail.observations) to the ingest function',
      eventPattern: { detailType: [OBSERVATION_EVENT], source: Match.anythingBut(EVENT_SOURCE) },
      targets: [
        new LambdaFunction(lambdaFunction, {
          retryAttempts: 4,
          maxEventAge: Duration.hours(6),
          deadLetterQueue: this.failedEvents,
        }),
      ],
    });
  }
}
