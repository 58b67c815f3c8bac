import { choice, type Definition, EXECUTION, lambdaTask } from './states.ts';

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
    MorePages: choice([{ Variable: '$.cursor', IsString: true, Next: 'SweepPage' }], 'Done'),
    Done: { Type: 'Succeed' },
  },
};
