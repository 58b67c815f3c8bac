import type { RemovalPolicy } from 'aws-cdk-lib';
import { type CfnElement, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Policy } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { type FunctionSettings, type KaizenStores, kaizenFunction } from './access.ts';

export interface MetricPullProps extends KaizenStores {
  /**
   * When to pull.
   * @default ScheduleExpression.expression('rate(1 hour)')
   */
  readonly schedule?: ScheduleExpression;
  /**
   * Memory and timeout of the pull function.
   * @default - the step registry's defaults
   */
  readonly functionSettings?: FunctionSettings;
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
 * The scheduled pull of KPIs kept as CloudWatch metrics: an EventBridge Scheduler schedule invokes the pull
 * function, which reads every model's CloudWatch-sourced KPIs with GetMetricData and stores them once per window.
 */
export class MetricPull extends Construct {
  /** The pull function. */
  public readonly lambdaFunction: IFunction;
  /** Its schedule. */
  public readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: MetricPullProps) {
    super(scope, id);
    const { lambdaFunction } = kaizenFunction(this, 'Pull', {
      name: 'pull',
      stores: props,
      settings: props.functionSettings,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.lambdaFunction = lambdaFunction;
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Kaizen Loop pull of KPIs kept as CloudWatch metrics',
      schedule: props.schedule ?? ScheduleExpression.expression('rate(1 hour)'),
      timeWindow: TimeWindow.off(),
      target: new LambdaInvoke(lambdaFunction, {
        input: ScheduleTargetInput.fromObject({}),
        retryAttempts: 2,
        // A later pull reads the same windows again: an old invocation is not worth running.
        maxEventAge: Duration.hours(1),
      }),
    });
    // The scheduler role CDK creates for the target may invoke the function and its versions (`<arn>:*`).
    const stack = Stack.of(this);
    const fn = lambdaFunction.node.defaultChild as CfnElement;
    for (const child of stack.node.children.filter((c) => c.node.id.startsWith('SchedulerRoleForTarget'))) {
      const policy = child.node.tryFindChild('DefaultPolicy');
      if (!(policy instanceof Policy)) continue;
      // Only the role of this schedule's target (the fleet sweep's schedule has its own).
      if (!JSON.stringify(stack.resolve(policy.document)).includes(stack.getLogicalId(fn))) continue;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn)}.Arn>:*]`,
        reason:
          "EventBridge Scheduler's role may invoke the pull function's versions; the wildcard is that one function's qualifiers.",
      });
    }
  }
}
