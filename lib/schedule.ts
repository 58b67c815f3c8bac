import { Duration } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { SweepInputSchema } from '../functions/sweep/sweep.ts';

/** Input of every scheduled sweep: models per page (one sweep-function call). */
export const SCHEDULED_SWEEP_INPUT = { pageSize: 100 } as const;

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
