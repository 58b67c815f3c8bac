import { Duration } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SCHEDULED_SWEEP_INPUT, SweepInputSchema } from '#domain/sweep.ts';

export interface FleetScheduleProps {
  /** The fleet sweep to start. */
  readonly stateMachine: IStateMachine;
  /**
   * When to sweep the fleet.
   * @default ScheduleExpression.expression('rate(1 hour)')
   */
  readonly schedule?: ScheduleExpression;
}

/**
 * One EventBridge Scheduler schedule that starts the fleet sweep with `{"pageSize": 100}` at fixed times
 * (no flexible window); the sweep covers every registered model, so adding a model needs no deploy.
 */
export class FleetSchedule extends Construct {
  /** The schedule. */
  public readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: FleetScheduleProps) {
    super(scope, id);
    // Fail at synth time, not at the first scheduled run, if the sweep would reject its input.
    SweepInputSchema.parse(SCHEDULED_SWEEP_INPUT);
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Kaizen Loop fleet sweep over every registered model',
      schedule: props.schedule ?? ScheduleExpression.expression('rate(1 hour)'),
      timeWindow: TimeWindow.off(),
      target: new StepFunctionsStartExecution(props.stateMachine, {
        input: ScheduleTargetInput.fromObject(SCHEDULED_SWEEP_INPUT),
        retryAttempts: 3,
        // A sweep that could not start for an hour is stale: a later scheduled sweep covers the same models.
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON_OR_AT = /^(cron\((\S+ ){5}\S+\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/;

/** Whether `text` is a valid EventBridge Scheduler expression (a rate of 1 takes the singular unit). */
export function isScheduleExpression(text: string): boolean {
  const rate = RATE.exec(text);
  if (rate) {
    const count = Number(rate[1]);
    return count >= 1 && (count === 1) === !rate[2]?.endsWith('s');
  }
  return CRON_OR_AT.test(text);
}

/**
 * Checks an EventBridge Scheduler expression at synth time (`rate(1 hour)`, `cron(0 * * * ? *)`,
 * `at(2026-12-01T00:00:00)`), so a typo fails the synth instead of the deploy.
 */
export function parseScheduleExpression(text: string): ScheduleExpression {
  if (!isScheduleExpression(text)) {
    throw new Error(
      `schedule "${text}" is not an EventBridge Scheduler expression: use rate(1 hour), rate(15 minutes), ` +
        'cron(minutes hours day-of-month month day-of-week year) or at(yyyy-mm-ddThh:mm:ss)',
    );
  }
  return ScheduleExpression.expression(text);
}

const UNIT_SECONDS: Record<string, number> = { minute: 60, hour: 3_600, day: 86_400 };

/**
 * Seconds between two runs of a `rate(...)` expression; undefined for `cron(...)` and `at(...)`, whose gaps
 * vary (the monitoring then needs the expected interval told).
 */
export function rateIntervalSeconds(text: string): number | undefined {
  const rate = RATE.exec(text);
  if (!rate) return undefined;
  return Number(rate[1]) * (UNIT_SECONDS[(rate[2] as string).replace(/s$/, '')] as number);
}
