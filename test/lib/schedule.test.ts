import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { describe, expect, it } from 'vitest';
import { SCHEDULED_SWEEP_INPUT, SweepInputSchema } from '#domain/sweep.ts';
import { FleetSchedule, isScheduleExpression, parseScheduleExpression } from '#lib/schedule.ts';
import { testApp } from './cdk-app.ts';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:sweep';

function scheduleFor(schedule?: ScheduleExpression): Template {
  const stack = new Stack(testApp({ bundle: false }), 'Schedule');
  const stateMachine = StateMachine.fromStateMachineArn(stack, 'Sweep', ARN);
  new FleetSchedule(stack, 'Schedule', { stateMachine, schedule });
  return Template.fromStack(stack);
}

describe('FleetSchedule', () => {
  it('starts the sweep hourly by default with pages of 100 models, at fixed times', () => {
    const template = scheduleFor();
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: ARN,
        Input: Match.serializedJson({ pageSize: 100 }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it('uses the given expression', () => {
    scheduleFor(ScheduleExpression.expression('cron(0 6 * * ? *)')).hasResourceProperties(
      'AWS::Scheduler::Schedule',
      { ScheduleExpression: 'cron(0 6 * * ? *)' },
    );
  });

  it('sends an input the sweep accepts', () => {
    expect(SweepInputSchema.parse(SCHEDULED_SWEEP_INPUT)).toMatchObject({ pageSize: 100, pages: 0 });
  });
});

describe('schedule expressions', () => {
  it.each([
    ['rate(1 hour)', true],
    ['rate(15 minutes)', true],
    ['rate(2 days)', true],
    ['cron(0 * * * ? *)', true],
    ['at(2026-12-01T00:00:00)', true],
    ['rate(1 hours)', false],
    ['rate(2 hour)', false],
    ['rate(0 minutes)', false],
    ['every 15 minutes', false],
    ['cron(0 * * *)', false],
  ])('%s is valid: %s', (text, valid) => {
    expect(isScheduleExpression(text)).toBe(valid);
  });

  it('fails the synth with a message naming the bad expression', () => {
    expect(() => parseScheduleExpression('every 15 minutes')).toThrow(
      'schedule "every 15 minutes" is not an EventBridge Scheduler expression',
    );
  });
});
