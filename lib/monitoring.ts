import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import {
  type Dashboard,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { type IStateMachine, StateTransitionMetric } from 'aws-cdk-lib/aws-stepfunctions';
import {
  type AlarmWithAnnotation,
  type CustomMetricGroup,
  DefaultDashboardFactory,
  GraphWidgetType,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { type KaizenMetric, METRICS, METRICS_NAMESPACE, METRICS_SERVICE } from '#contracts/metrics.ts';
import { rateIntervalSeconds } from './schedule.ts';

/** An Express execution lasts at most five minutes. */
const EXPRESS_LIMIT = Duration.minutes(5);

export interface KaizenMonitoringProps {
  /** Where every alarm goes (the stack's notification topic). */
  readonly topic: ITopic;
  /** The Standard improvement loop. */
  readonly improvementLoop: IStateMachine;
  /** The Express fleet sweep. */
  readonly fleetSweep: IStateMachine;
  /** Every Lambda function of the app, by step name: each gets an errors and a throttles alarm. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** The queue where the metrics-stream trigger reports the batches it gave up on. */
  readonly triggerFailures: IQueue;
  /**
   * The dead-letter queue of `Kaizen Observation` events the ingest function could not take.
   * @default - no such alarm
   */
  readonly ingestFailures?: IQueue;
  /** The tables whose consumed capacity the dashboard shows among the cost drivers. */
  readonly tables: readonly ITable[];
  /** The schedule expression of the fleet sweep (`rate(...)` gives the interval of the no-sweep alarm). */
  readonly scheduleExpression: string;
  /**
   * The expected time between two sweeps; the alarm fires when no sweep started in twice this.
   * @default - the interval of a `rate(...)` schedule; none for `cron(...)` and `at(...)` (no alarm, a synth warning)
   */
  readonly sweepInterval?: Duration;
  /**
   * A sweep execution this long is near the Express limit of five minutes (it should have gone on in a new
   * execution from its cursor after `continueAfterSeconds`, 180 by default).
   * @default Duration.minutes(4)
   */
  readonly sweepDurationThreshold?: Duration;
  /**
   * Failed, timed-out or aborted executions of a workflow tolerated per 5 minutes before alarming.
   * @default 0 - any one alarms
   */
  readonly maxFailedExecutions?: number;
  /**
   * Lambda errors of one function tolerated per 5 minutes before alarming.
   * @default 0 - any one alarms
   */
  readonly maxLambdaErrors?: number;
  /**
   * Lambda throttles of one function tolerated per 5 minutes before alarming.
   * @default 0 - any one alarms
   */
  readonly maxLambdaThrottles?: number;
  /**
   * Messages in the trigger's failure queue tolerated before alarming.
   * @default 0 - any one alarms
   */
  readonly maxFailedBatches?: number;
  /**
   * Whether to create the dashboard (the alarms are created either way).
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Name of the dashboard (also the alarms' name prefix).
   * @default - the stack name
   */
  readonly dashboardName?: string;
  /**
   * Time range the dashboard opens on.
   * @default Duration.days(14)
   */
  readonly dashboardRange?: Duration;
}

/** A metric of the catalogue (`functions/contracts/metrics.ts`) with these dimension values. */
function kaizenMetric(
  name: KaizenMetric,
  dimensions: Record<string, string>,
  options: { statistic?: string; period?: Duration; label?: string } = {},
): Metric {
  const expected = [...METRICS[name].dimensions].sort();
  if (JSON.stringify(Object.keys(dimensions).sort()) !== JSON.stringify(expected)) {
    throw new Error(`metric ${name} has the dimensions ${expected.join(', ') || 'service only'}`);
  }
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.days(1),
    label: options.label ?? (Object.values(dimensions).join(' ') || name),
  });
}

/** The per-model runs of one outcome, one line per model that had such a run (a CloudWatch SEARCH). */
function modelsWith(outcome: string, period: Duration): MathExpression {
  return new MathExpression({
    expression:
      `SEARCH('{${METRICS_NAMESPACE},service,model,outcome} service="${METRICS_SERVICE}" ` +
      `outcome="${outcome}" MetricName="ModelRuns"', 'Sum', ${period.toSeconds()})`,
    usingMetrics: {},
    label: outcome,
    period,
  });
}

/**
 * The no-sweep window as CloudWatch can evaluate it: one period of the whole window up to a day; beyond, hourly
 * periods that must all be empty (an alarm looks back at most seven days when its period is an hour or more).
 */
export function noSweepWindow(intervalSeconds: number): {
  period: Duration;
  evaluationPeriods: number;
  clamped: boolean;
} {
  const window = 2 * intervalSeconds;
  if (window <= 86_400) return { period: Duration.seconds(window), evaluationPeriods: 1, clamped: false };
  const hours = Math.ceil(window / 3_600);
  return { period: Duration.hours(1), evaluationPeriods: Math.min(hours, 168), clamped: hours > 168 };
}

/**
 * Kaizen Loop's alarms and dashboard, with cdk-monitoring-constructs: failed, timed-out and aborted executions
 * of both workflows, errors and throttles of every function, the trigger's failure queue, a sweep near the
 * Express limit and no sweep in twice the schedule, all to the notification topic; and one dashboard of loop
 * outcomes, retrains, rollbacks, blocked models, the sweep and the cost drivers, read from the metric catalogue.
 */
export class KaizenMonitoring extends Construct {
  /** The facade that owns the alarms and the dashboard. */
  public readonly facade: MonitoringFacade;
  /** Every alarm created. */
  public readonly alarms: AlarmWithAnnotation[];
  /** The dashboard, unless `dashboard: false`. */
  public readonly dashboard?: Dashboard;
  /** The dashboard's (and the alarm prefix's) name. */
  public readonly dashboardName: string;

  constructor(scope: Construct, id: string, props: KaizenMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.dashboardName = props.dashboardName ?? stack.stackName;
    const createDashboard = props.dashboard ?? true;
    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: this.dashboardName,
      createDashboard,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
      detailDashboardRange: props.dashboardRange ?? Duration.days(14),
    });
    this.facade = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: {
        alarmNamePrefix: this.dashboardName,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: props.topic }),
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      metricFactoryDefaults: { period: Duration.minutes(5) },
      dashboardFactory: dashboards,
    });

    const failed = { Critical: { maxErrorCount: props.maxFailedExecutions ?? 0 } };
    this.facade.addLargeHeader('Kaizen Loop');
    this.facade.monitorCustom(this.outcomeWidgets());
    this.facade.monitorStepFunction({
      stateMachine: props.improvementLoop,
      humanReadableName: 'Improvement loop',
      alarmFriendlyName: 'ImprovementLoop',
      addFailedExecutionCountAlarm: failed,
      addTimedOutExecutionCountAlarm: failed,
      addAbortedExecutionCountAlarm: failed,
    });

    const interval = props.sweepInterval?.toSeconds() ?? rateIntervalSeconds(props.scheduleExpression);
    if (interval === undefined) {
      Annotations.of(this).addWarningV2(
        'kaizen:no-sweep-alarm',
        `schedule ${props.scheduleExpression} has no fixed interval: pass sweepInterval to alarm when no sweep starts`,
      );
    }
    const window = interval === undefined ? undefined : noSweepWindow(interval);
    if (window?.clamped) {
      Annotations.of(this).addWarningV2(
        'kaizen:no-sweep-alarm-clamped',
        'twice the sweep interval is over 7 days, the longest an alarm looks back: it fires after 7 days without a sweep',
      );
    }
    this.facade.monitorStepFunction({
      stateMachine: props.fleetSweep,
      humanReadableName: 'Fleet sweep',
      alarmFriendlyName: 'FleetSweep',
      addFailedExecutionCountAlarm: failed,
      addTimedOutExecutionCountAlarm: failed,
      // Express executions cannot be stopped (StopExecution is for Standard workflows): no aborted alarm.
      addDurationP99Alarm: {
        Warning: {
          maxDuration: props.sweepDurationThreshold ?? Duration.minutes(4),
          alarmDescriptionOverride: `A sweep execution took near the Express limit of ${EXPRESS_LIMIT.toMinutes()} minutes.`,
        },
      },
      ...(window
        ? {
            addMinStartedExecutionCountAlarm: {
              Critical: {
                minRunningTasks: 1,
                period: window.period,
                evaluationPeriods: window.evaluationPeriods,
                datapointsToAlarm: window.evaluationPeriods,
                // No data is no sweep: the alarm's whole point.
                treatMissingDataOverride: TreatMissingData.BREACHING,
                alarmDescriptionOverride: `No fleet sweep started in ${window.period.toSeconds() * window.evaluationPeriods} seconds (twice the schedule ${props.scheduleExpression}).`,
              },
            },
          }
        : {}),
    });
    this.facade.monitorCustom(this.sweepWidgets());

    this.facade.monitorSqsQueue({
      queue: props.triggerFailures,
      humanReadableName: 'Trigger failed batches',
      alarmFriendlyName: 'TriggerFailedBatches',
      addQueueMaxSizeAlarm: { Critical: { maxMessageCount: props.maxFailedBatches ?? 0 } },
    });
    if (props.ingestFailures) {
      this.facade.monitorSqsQueue({
        queue: props.ingestFailures,
        humanReadableName: 'Observation events, files and dataset arrivals not ingested',
        alarmFriendlyName: 'IngestFailedEvents',
        addQueueMaxSizeAlarm: { Critical: { maxMessageCount: 0 } },
      });
    }

    for (const [name, lambdaFunction] of Object.entries(props.functions)) {
      this.facade.monitorLambdaFunction({
        lambdaFunction,
        humanReadableName: `${name} function`,
        alarmFriendlyName: `Function-${name}`,
        addFaultCountAlarm: { Critical: { maxErrorCount: props.maxLambdaErrors ?? 0 } },
        addThrottlesCountAlarm: { Critical: { maxErrorCount: props.maxLambdaThrottles ?? 0 } },
        // Twelve functions of graphs would bury the loop's own figures: their errors are summed in one widget.
        addToDetailDashboard: false,
      });
    }
    this.facade.monitorCustom(this.costWidgets(props));

    this.alarms = this.facade.createdAlarms();
    this.dashboard = dashboards.dashboard;
  }

  private outcomeWidgets() {
    const day = Duration.days(1);
    const outcomes = ['promoted', 'rejected', 'rolled-back', 'failed', 'blocked'];
    const groups: CustomMetricGroup[] = [
      {
        title: 'Loop outcomes per day',
        graphWidgetType: GraphWidgetType.STACKED_AREA,
        metrics: outcomes.map((outcome) => kaizenMetric('Runs', { outcome })),
      },
      {
        title: 'Retrains, deploys and rollbacks per day',
        metrics: [
          kaizenMetric('Decisions', { action: 'retrain' }, { label: 'retrain decisions' }),
          kaizenMetric('CandidatesTrained', {}, { label: 'candidates trained' }),
          kaizenMetric('Deployments', {}, { label: 'deployments' }),
          kaizenMetric('Rollbacks', {}, { label: 'rollbacks' }),
        ],
      },
      {
        title: 'Value of verified deploys per day (KPI change × count × value.perUnit, USD)',
        metrics: [kaizenMetric('DeployValue', { currency: 'USD' }, { label: 'USD' })],
      },
      {
        title: 'Models that need attention (runs per model per day)',
        metrics: [modelsWith('blocked', day), modelsWith('failed', day), modelsWith('rolled-back', day)],
      },
    ];
    return { humanReadableName: 'Loop outcomes', alarmFriendlyName: 'Outcomes', metricGroups: groups };
  }

  private sweepWidgets() {
    const hour = Duration.hours(1);
    const source = { source: 'sweep' };
    const groups: CustomMetricGroup[] = [
      {
        title: 'Sweep: models checked, loops started, blocked, errors per hour',
        metrics: [
          kaizenMetric('ModelsChecked', source, { period: hour, label: 'checked' }),
          kaizenMetric('LoopsStarted', source, { period: hour, label: 'loops started' }),
          kaizenMetric('ModelsBlocked', source, { period: hour, label: 'blocked' }),
          kaizenMetric('CheckErrors', source, { period: hour, label: 'check errors' }),
        ],
      },
      {
        title: 'Observations stored and rejected per hour, by way in',
        metrics: (['drop', 'event', 'pull'] as const).flatMap((path) => [
          kaizenMetric('ObservationsStored', { path }, { period: hour, label: `${path} stored` }),
          kaizenMetric('ObservationsRejected', { path }, { period: hour, label: `${path} rejected` }),
        ]),
      },
      {
        title: 'Sweep duration (seconds, longest execution per hour)',
        metrics: [
          kaizenMetric('SweepDuration', {}, { statistic: 'Maximum', period: hour, label: 'duration' }),
        ],
      },
    ];
    return { humanReadableName: 'Fleet sweep figures', alarmFriendlyName: 'Sweep', metricGroups: groups };
  }

  private costWidgets(props: KaizenMonitoringProps) {
    const day = Duration.days(1);
    const invocations: Metric[] = [];
    const gbSeconds: Record<string, IMetric> = {};
    const terms: string[] = [];
    const errors: Metric[] = [];
    Object.entries(props.functions).forEach(([name, fn], i) => {
      invocations.push(fn.metricInvocations({ period: day, label: name }));
      errors.push(fn.metricErrors({ period: Duration.hours(1), label: `${name} errors` }));
      errors.push(fn.metricThrottles({ period: Duration.hours(1), label: `${name} throttles` }));
      const memory = (fn.node.defaultChild as CfnFunction | undefined)?.memorySize;
      if (typeof memory === 'number') {
        gbSeconds[`d${i}`] = fn.metricDuration({ statistic: 'Sum', period: day });
        terms.push(`d${i} * ${memory / 1024 / 1000}`);
      }
    });
    const groups: CustomMetricGroup[] = [
      {
        title: 'Lambda errors and throttles by function (per hour)',
        metrics: errors,
      },
      {
        title: 'Cost drivers: Lambda invocations per day by function',
        graphWidgetType: GraphWidgetType.STACKED_AREA,
        metrics: invocations,
      },
      {
        title: 'Cost drivers: Lambda GB-seconds per day, state transitions per day (account)',
        metrics: [
          ...(terms.length > 0
            ? [
                new MathExpression({
                  expression: terms.join(' + '),
                  usingMetrics: gbSeconds,
                  label: 'Lambda GB-s',
                  period: day,
                }),
              ]
            : []),
          StateTransitionMetric.metricConsumedCapacity({
            statistic: 'Sum',
            period: day,
            label: 'state transitions',
          }),
        ],
      },
      {
        title: 'Cost drivers: DynamoDB consumed capacity per day',
        metrics: props.tables.flatMap((table) => [
          table.metricConsumedReadCapacityUnits({ period: day, label: `${table.node.id} reads` }),
          table.metricConsumedWriteCapacityUnits({ period: day, label: `${table.node.id} writes` }),
        ]),
      },
    ];
    return { humanReadableName: 'Errors and cost drivers', alarmFriendlyName: 'Cost', metricGroups: groups };
  }
}
