import { describe, expect, it } from 'vitest';
import { IMPROVEMENT_LOOP_ASL, SNS_PUBLISH } from '#contracts/workflows.ts';
import { readDefinition } from '#lib/project.ts';
import { taskResources } from '#lib/workflow.ts';

const A_PLACEHOLDER = `\${AFunctionArn}`;

describe('taskResources', () => {
  it('finds Task resources at the top, in Map item processors and in Parallel branches, once each', () => {
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: A_PLACEHOLDER, Next: 'M' },
        M: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Task', Resource: 'arn:b', End: true } } },
          Next: 'P',
        },
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'C', States: { C: { Type: 'Task', Resource: SNS_PUBLISH, End: true } } }],
          Next: 'D',
        },
        D: { Type: 'Task', Resource: A_PLACEHOLDER, Next: 'E' },
        E: { Type: 'Pass', Result: { Resource: 'not a task' }, End: true },
      },
    };
    expect(taskResources(JSON.stringify(definition))).toEqual([A_PLACEHOLDER, 'arn:b', SNS_PUBLISH]);
  });

  it('reads the improvement loop definition', () => {
    expect(taskResources(readDefinition(IMPROVEMENT_LOOP_ASL))).toContain(`\${MonitorFunctionArn}`);
  });
});
