import { Duration } from 'aws-cdk-lib';
import { Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { parseRunInput } from '#domain/run.ts';

export interface ModelSchedulesProps {
  /** The improvement loop to start. */
  readonly stateMachine: IStateMachine;
  /** Models to run on the schedule, one EventBridge Scheduler schedule each. */
  readonly modelIds: readonly string[];
  /**
   * When to start the loop for each model.
   * @default ScheduleExpression.expression('rate(1 day)')
   */
  readonly schedule?: ScheduleExpression;
}

/**
 * One EventBridge Scheduler schedule per model that starts the improvement loop with
 * `{"modelId": "<id>", "force": false, "dryRun": false}`, at fixed times (no flexible window).
 */
export class ModelSchedules extends Construct {
  /** The schedule of each model, by model id. */
  public readonly schedules: ReadonlyMap<string, Schedule>;

  constructor(scope: Construct, id: string, props: ModelSchedulesProps) {
    super(scope, id);
    const expression = props.schedule ?? ScheduleExpression.expression('rate(1 day)');
    const schedules = new Map<string, Schedule>();
    for (const modelId of props.modelIds) {
      if (schedules.has(modelId)) throw new Error(`model ${modelId} is scheduled twice`);
      const input = { modelId, force: false, dryRun: false };
      // Fail at synth time, not at the first 3 a.m. run, when the id is not one the loop accepts.
      parseRunInput(input);
      schedules.set(
        modelId,
        new Schedule(this, `Schedule-${modelId}`, {
          description: `Kaizen Loop improvement loop for model ${modelId}`,
          schedule: expression,
          timeWindow: TimeWindow.off(),
          target: new StepFunctionsStartExecution(props.stateMachine, {
            input: ScheduleTargetInput.fromObject(input),
            retryAttempts: 3,
            maxEventAge: Duration.hours(1),
          }),
        }),
      );
    }
    this.schedules = schedules;
  }
}
