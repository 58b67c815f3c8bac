import { type CfnElement, Duration } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { METRICS, METRICS_NAMESPACE, METRICS_SERVICE } from '#contracts/metrics.ts';
import { FUNCTIONS, type FunctionName } from '#contracts/steps.ts';
import { monitoringFromContext } from '#lib/context.ts';
import { KaizenStack, type KaizenStackProps } from '#lib/kaizen-stack.ts';
import { noSweepWindow } from '#lib/monitoring.ts';
import { nagFindings } from '#lib/nag.ts';
import { rateIntervalSeconds } from '#lib/schedule.ts';
import { testApp } from './cdk-app.ts';

function synth(props: KaizenStackProps = {}) {
  const stack = new KaizenStack(testApp({ bundle: false }), 'KaizenLoop', props);
  const template = Template.fromStack(stack);
  const id = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  return { stack, template, id };
}

const hourly = synth();
const { stack, template, id } = hourly;
const topic = { Ref: id(stack.improvementLoop.topic) };

interface MetricStat {
  Metric: { MetricName: string; Namespace: string; Dimensions: { Name: string; Value: unknown }[] };
  Period: number;
  Stat: string;
}

/** One alarm with its single metric's fields brought up beside the alarm's own. */
interface AlarmView {
  AlarmName: string;
  MetricName: string;
  Namespace: string;
  Dimensions: { Name: string; Value: unknown }[];
  Period: number;
  Stat: string;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  AlarmActions: unknown[];
}

function alarms(stackTemplate: Template): AlarmView[] {
  return Object.values(stackTemplate.findResources('AWS::CloudWatch::Alarm')).map((resource) => {
    const { Metrics, ...props } = resource.Properties as { Metrics: { MetricStat: MetricStat }[] };
    expect(Metrics).toHaveLength(1);
    const stat = (Metrics[0] as { MetricStat: MetricStat }).MetricStat;
    return {
      ...(props as Omit<AlarmView, keyof MetricStat['Metric'] | 'Period' | 'Stat'>),
      ...stat.Metric,
      Period: stat.Period,
      Stat: stat.Stat,
    };
  });
}

/** The alarms on one metric of one resource (by its dimension value). */
function alarmOn(metric: string, dimension: unknown, stackTemplate = template): AlarmView[] {
  return alarms(stackTemplate).filter(
    (alarm) =>
      alarm.MetricName === metric && JSON.stringify(alarm.Dimensions).includes(JSON.stringify(dimension)),
  );
}

const loopArn = { Ref: id(stack.improvementLoop.stateMachine) };
const sweepArn = { Ref: id(stack.fleetSweep.stateMachine) };

describe('alarms: every one goes to the notification topic', () => {
  it.each([
    ['improvement loop', 'ExecutionsFailed', loopArn],
    ['improvement loop', 'ExecutionsTimedOut', loopArn],
    ['improvement loop', 'ExecutionsAborted', loopArn],
    ['fleet sweep', 'ExecutionsFailed', sweepArn],
    ['fleet sweep', 'ExecutionsTimedOut', sweepArn],
  ])('%s: any %s in 5 minutes', (_workflow, metric, arn) => {
    expect(alarmOn(metric, arn)).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: arn }],
        Stat: 'Sum',
        Period: 300,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [topic],
      }),
    ]);
  });

  it('the sweep cannot be aborted (Express), so only the loop has an aborted alarm', () => {
    expect(alarmOn('ExecutionsAborted', sweepArn)).toEqual([]);
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])('%s function: any error, any throttle', (name) => {
    const fn = { Ref: id(stack.functions[name]) };
    for (const metric of ['Errors', 'Throttles']) {
      expect(alarmOn(metric, fn)).toEqual([
        expect.objectContaining({
          Namespace: 'AWS/Lambda',
          Stat: 'Sum',
          Threshold: 0,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [topic],
        }),
      ]);
    }
  });

  it.each([
    ['the trigger failure queue', () => stack.trigger.failureQueue],
    ["the observation events' dead-letter queue", () => stack.ingestion.failedEvents],
  ])('%s: any message', (_name, queueOf) => {
    const queue = { 'Fn::GetAtt': [id(queueOf()), 'QueueName'] };
    expect(alarmOn('ApproximateNumberOfMessagesVisible', queue)).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/SQS',
        Stat: 'Maximum',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic],
      }),
    ]);
  });

  it('a sweep execution near the Express limit: p99 duration over 4 minutes', () => {
    expect(alarmOn('ExecutionTime', sweepArn)).toEqual([
      expect.objectContaining({
        Stat: 'p99',
        Threshold: Duration.minutes(4).toMilliseconds(),
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [topic],
      }),
    ]);
  });

  it('no sweep started in twice the hourly schedule: missing data is breaching', () => {
    expect(alarmOn('ExecutionsStarted', sweepArn)).toEqual([
      expect.objectContaining({
        Namespace: 'AWS/States',
        Stat: 'Sum',
        Period: 7200,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'breaching',
        AlarmActions: [topic],
      }),
    ]);
  });

  it('counts the alarms: 5 workflow, 2 per function, the two queues, the sweep duration and the no-sweep one', () => {
    expect(alarms(template)).toHaveLength(5 + 2 * Object.keys(FUNCTIONS).length + 2 + 1 + 1);
    expect(stack.monitoring.alarms).toHaveLength(alarms(template).length);
  });

  it('takes thresholds from the props', () => {
    const custom = synth({
      monitoring: { maxLambdaErrors: 3, maxFailedExecutions: 2, sweepDurationThreshold: Duration.minutes(3) },
    });
    const train = { Ref: custom.id(custom.stack.functions.train) };
    expect(alarmOn('Errors', train, custom.template)[0]?.Threshold).toBe(3);
    const loop = { Ref: custom.id(custom.stack.improvementLoop.stateMachine) };
    expect(alarmOn('ExecutionsFailed', loop, custom.template)[0]?.Threshold).toBe(2);
    const sweep = { Ref: custom.id(custom.stack.fleetSweep.stateMachine) };
    expect(alarmOn('ExecutionTime', sweep, custom.template)[0]?.Threshold).toBe(180_000);
  });
});

describe('the no-sweep window', () => {
  it.each([
    ['rate(15 minutes)', 900],
    ['rate(1 hour)', 3_600],
    ['rate(2 days)', 172_800],
    ['cron(0 6 * * ? *)', undefined],
    ['at(2026-12-01T00:00:00)', undefined],
  ])('%s is %s seconds apart', (expression, seconds) => {
    expect(rateIntervalSeconds(expression)).toBe(seconds);
  });

  it.each([
    [900, 1_800, 1, false],
    [43_200, 86_400, 1, false],
    // Beyond a day: hourly periods that must all be empty.
    [86_400, 3_600, 48, false],
    [7 * 86_400, 3_600, 168, true],
  ])('every %s s: periods of %s s, %s of them (clamped: %s)', (interval, period, count, clamped) => {
    const window = noSweepWindow(interval);
    expect({ ...window, period: window.period.toSeconds() }).toEqual({
      period,
      evaluationPeriods: count,
      clamped,
    });
  });

  it('a daily schedule alarms after 48 empty hours', () => {
    const daily = synth({ scheduleExpression: 'rate(1 day)' });
    const sweep = { Ref: daily.id(daily.stack.fleetSweep.stateMachine) };
    expect(alarmOn('ExecutionsStarted', sweep, daily.template)).toEqual([
      expect.objectContaining({ Period: 3600, EvaluationPeriods: 48, DatapointsToAlarm: 48 }),
    ]);
  });

  it('a cron schedule has no no-sweep alarm unless told its interval, and says so at synth', () => {
    const cron = synth({ scheduleExpression: 'cron(0 6 * * ? *)' });
    const sweep = { Ref: cron.id(cron.stack.fleetSweep.stateMachine) };
    expect(alarmOn('ExecutionsStarted', sweep, cron.template)).toEqual([]);
    Annotations.fromStack(cron.stack).hasWarning(
      '/KaizenLoop/Monitoring',
      Match.stringLikeRegexp('pass sweepInterval'),
    );
    const told = synth({
      scheduleExpression: 'cron(0 6 * * ? *)',
      monitoring: { sweepInterval: Duration.days(1) },
    });
    const toldSweep = { Ref: told.id(told.stack.fleetSweep.stateMachine) };
    expect(alarmOn('ExecutionsStarted', toldSweep, told.template)).toHaveLength(1);
  });

  it('reads kaizen:dashboard and kaizen:sweepInterval from the context, naming a bad value', () => {
    expect(monitoringFromContext('false', 'PT6H')).toEqual({
      dashboard: false,
      sweepInterval: Duration.seconds(21_600),
    });
    expect(monitoringFromContext(undefined, undefined)).toEqual({});
    expect(() => monitoringFromContext('no', undefined)).toThrow(
      'kaizen:dashboard must be "true" or "false", got "no"',
    );
    expect(() => monitoringFromContext(undefined, 'PT30S')).toThrow(
      /kaizen:sweepInterval must be .* got "PT30S"/,
    );
  });
});

describe('the dashboard', () => {
  const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
  const parts = (Object.values(dashboards)[0]?.Properties?.DashboardBody?.['Fn::Join']?.[1] ??
    []) as unknown[];
  // The body with its tokens (ARNs, the region) as placeholders, as CloudWatch reads it.
  const body = JSON.parse(parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('')) as {
    widgets: { properties: { title?: string; metrics?: (string | Record<string, unknown>)[][] } }[];
  };
  const titles = body.widgets.map((widget) => widget.properties.title);
  const rows = body.widgets.flatMap((widget) => widget.properties.metrics ?? []);
  /** The graphed rows of a metric: `[namespace, name, dim, value, ..., options]`. */
  const graphed = (namespace: string, name: string) =>
    rows.filter((row) => row[0] === namespace && row[1] === name);
  const dimensionsOf = (row: (string | Record<string, unknown>)[]) => {
    const pairs = row.slice(2).filter((cell) => typeof cell === 'string');
    return Object.fromEntries(pairs.flatMap((cell, i) => (i % 2 === 0 ? [[cell, pairs[i + 1]]] : [])));
  };

  it('is one dashboard named after the stack, linked from the stack outputs', () => {
    expect(Object.keys(dashboards)).toHaveLength(1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'KaizenLoop' });
    expect(JSON.stringify(template.toJSON().Outputs.DashboardUrl.Value)).toContain(
      '#dashboards:name=KaizenLoop',
    );
  });

  it.each([
    'Loop outcomes per day',
    'Retrains, deploys and rollbacks per day',
    'Models that need attention (runs per model per day)',
    'Sweep: models checked, loops started, blocked, errors per hour',
    'Sweep duration (seconds, longest execution per hour)',
    'Lambda errors and throttles by function (per hour)',
    'Cost drivers: Lambda invocations per day by function',
    'Cost drivers: Lambda GB-seconds per day, state transitions per day (account)',
    'Cost drivers: DynamoDB consumed capacity per day',
  ])('has the widget "%s"', (title) => {
    expect(titles).toContain(title);
  });

  it('graphs the catalogue metrics in their namespace with exactly their catalogue dimensions', () => {
    for (const [name, spec] of Object.entries(METRICS)) {
      if (name === 'ModelRuns') continue; // read through SEARCH, below
      const found = graphed(METRICS_NAMESPACE, name);
      expect(found.length, name).toBeGreaterThan(0);
      for (const row of found) {
        expect(Object.keys(dimensionsOf(row)).sort(), name).toEqual(['service', ...spec.dimensions].sort());
        expect(dimensionsOf(row).service).toBe(METRICS_SERVICE);
      }
    }
    expect(graphed(METRICS_NAMESPACE, 'Runs').map((row) => dimensionsOf(row).outcome)).toEqual([
      'promoted',
      'rejected',
      'rolled-back',
      'failed',
      'blocked',
    ]);
    const searches = rows.map((row) => (row[0] as { expression?: string }).expression ?? '');
    expect(searches).toContain(
      `SEARCH('{${METRICS_NAMESPACE},service,model,outcome} service="${METRICS_SERVICE}" outcome="blocked" MetricName="ModelRuns"', 'Sum', 86400)`,
    );
  });

  it('graphs the cost drivers: state transitions, Lambda GB-s from every function, DynamoDB capacity', () => {
    expect(graphed('AWS/States', 'ConsumedCapacity').map(dimensionsOf)).toEqual([
      { ServiceMetric: 'StateTransition' },
    ]);
    expect(graphed('AWS/Lambda', 'Invocations')).toHaveLength(Object.keys(FUNCTIONS).length);
    expect(graphed('AWS/Lambda', 'Duration')).toHaveLength(Object.keys(FUNCTIONS).length);
    const gbs = rows.find((row) => (row[0] as { label?: string }).label === 'Lambda GB-s')?.[0] as {
      expression: string;
    };
    // monitor: 1,769 MB -> 1769 / 1024 / 1000 GB-s per millisecond.
    expect(gbs.expression).toContain(`d0 * ${FUNCTIONS.monitor.memoryMb / 1024 / 1000}`);
    expect(graphed('AWS/DynamoDB', 'ConsumedReadCapacityUnits')).toHaveLength(3);
    expect(graphed('AWS/DynamoDB', 'ConsumedWriteCapacityUnits')).toHaveLength(3);
  });

  it('is left out with dashboard: false, the alarms kept', () => {
    const none = synth({ monitoring: { dashboard: false } });
    none.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(alarms(none.template)).toHaveLength(alarms(template).length);
    expect(none.template.toJSON().Outputs.DashboardUrl.Value).toMatch(/^none: /);
  });

  it('passes cdk-nag', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
