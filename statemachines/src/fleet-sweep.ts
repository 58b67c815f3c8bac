import { STATES_START_EXECUTION } from '#contracts/workflows.ts';
import { choice, type Definition, EXECUTION, fields, lambdaTask } from './states.ts';

/** The fleet sweep (Express): one sweep-function call per page of models until the cursor runs out. */
export const fleetSweep: Definition = {
  Comment:
    'Kaizen Loop fleet sweep: pages through the registered models, checks each against its policy in batches, and starts an improvement loop only where the decision is retrain.',
  StartAt: 'SweepPage',
  States: {
    SweepPage: lambdaTask('sweep', {
      comment:
        'One page of models per Lambda call: batched reads, policy checks, idempotent loop starts, one record of every decision.',
      parameters: { 'input.$': '$', execution: EXECUTION },
      resultPath: '$',
      next: 'MorePages',
    }),
    MorePages: choice(
      [
        { Variable: '$.continueAsNew', IsPresent: true, Next: 'ContinueSweep' },
        { Variable: '$.cursor', IsString: true, Next: 'SweepPage' },
      ],
      'Done',
    ),
    ContinueSweep: {
      Comment: 'An Express run lasts 5 minutes: go on from the cursor in a new execution of this sweep.',
      Type: 'Task',
      Resource: STATES_START_EXECUTION,
      Parameters: {
        'StateMachineArn.$': '$$.StateMachine.Id',
        'Name.$': 'States.UUID()',
        Input: fields('cursor', 'pageSize', 'at', 'pages', 'totals', 'continueAfterSeconds'),
      },
      ResultPath: '$.continuation',
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 2, MaxAttempts: 3, BackoffRate: 2 }],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};
