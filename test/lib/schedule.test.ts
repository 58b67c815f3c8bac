import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { ModelSchedules } from '#lib/schedule.ts';
import { testApp } from './cdk-app.ts';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:loop';

function schedulesFor(modelIds: string[]) {
  const stack = new Stack(testApp({ bundle: false }), 'Schedules');
  const stateMachine = StateMachine.fromStateMachineArn(stack, 'Loop', ARN);
  new ModelSchedules(stack, 'Schedules', { stateMachine, modelIds });
  return Template.fromStack(stack);
}

describe('ModelSchedules', () => {
  it('runs daily by default', () => {
    schedulesFor(['churn']).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      Target: { Arn: ARN, Input: Match.serializedJson({ modelId: 'churn', force: false, dryRun: false }) },
    });
  });

  it.each([
    ['an upper-case id', 'Churn'],
    ['an id with a space', 'churn model'],
    ['an empty id', ''],
    ['an id longer than 63 characters', 'a'.repeat(64)],
  ])('rejects %s at synth time, as the loop would reject its input', (_case, modelId) => {
    expect(() => schedulesFor([modelId])).toThrow(/modelId/);
  });

  it('rejects a model scheduled twice', () => {
    expect(() => schedulesFor(['churn', 'churn'])).toThrow(/churn is scheduled twice/);
  });
});
