import { describe, expect, it } from 'vitest';
import { STEPS } from '#contracts/steps.ts';
import { readDefinition } from '#lib/project.ts';
import { deploymentTargetStates } from '../../statemachines/src/deployment-targets.ts';
import { DEFINITIONS } from '../../statemachines/src/index.ts';
import { HOUSE_RETRY, type State } from '../../statemachines/src/states.ts';

const files = Object.keys(DEFINITIONS);
const stepResources = new Set(Object.values(STEPS).map((step) => `\${${step.placeholder}}`));

function tasksOf(file: string): [string, State][] {
  const { States } = JSON.parse(readDefinition(file)) as { States: Record<string, State> };
  return Object.entries(States).filter(([, state]) => state.Type === 'Task');
}

describe('workflow builder', () => {
  it.each(files)(
    '%s is what the builder writes (run `npm run asl` after changing statemachines/src)',
    (file) => {
      expect(JSON.parse(readDefinition(file))).toEqual(DEFINITIONS[file]);
    },
  );

  it.each(files)('%s: every step Task has the house Retry policy', (file) => {
    const steps = tasksOf(file).filter(([, state]) => stepResources.has(String(state.Resource)));
    expect(steps.length).toBeGreaterThan(0);
    for (const [name, state] of steps)
      expect({ name, retry: state.Retry }).toEqual({ name, retry: HOUSE_RETRY });
  });

  it('the house Retry covers Lambda service errors and TransientError, with jitter', () => {
    expect(HOUSE_RETRY).toEqual([
      expect.objectContaining({
        ErrorEquals: expect.arrayContaining(['Lambda.ServiceException', 'TransientError']),
        JitterStrategy: 'FULL',
      }),
    ]);
  });

  it('in the improvement loop, every step before Record catches everything and goes on to a recorded end', () => {
    const tasks = tasksOf('statemachines/improvement-loop.asl.json').filter(
      ([name, state]) => stepResources.has(String(state.Resource)) && !name.startsWith('Record'),
    );
    expect(tasks.map(([name]) => name)).toEqual([
      'Monitor',
      'Analyze',
      'Optimize',
      'PrepareTraining',
      'RegisterCandidate',
      'PrepareScoring',
      'Evaluate',
      'Deploy',
      'PrepareHosting',
      'PlanFunction',
      'NextStage',
      'UndoDeploy',
      'Verify',
      'Rollback',
    ]);
    // Once the alias may have moved, a failure first takes the candidate back.
    const undoFirst: Record<string, string> = {
      Deploy: 'UndoDeploy',
      PrepareHosting: 'UndoDeploy',
      PlanFunction: 'UndoDeploy',
      NextStage: 'UndoDeploy',
      UndoDeploy: 'UndoTarget',
      Verify: 'Rollback',
    };
    for (const [name, state] of tasks) {
      const last = (state.Catch as State[]).at(-1);
      expect({ name, errors: last?.ErrorEquals, next: last?.Next }).toEqual({
        name,
        errors: ['States.ALL'],
        next: undoFirst[name] ?? 'RecordFailure',
      });
    }
  });

  it('every deployment-target Task undoes the deploy on failure; the restores end at their record', () => {
    const targets = Object.keys(deploymentTargetStates);
    const tasks = tasksOf('statemachines/improvement-loop.asl.json').filter(([name]) =>
      targets.includes(name),
    );
    const restores: Record<string, string> = {
      UndoAlias: 'RecordFailure',
      UndoEndpoint: 'RecordFailure',
      RollbackAlias: 'RecordRolledBack',
      RollbackEndpoint: 'RecordRolledBack',
    };
    expect(tasks.length).toBeGreaterThan(10);
    for (const [name, state] of tasks) {
      const catches = (state.Catch as State[]).map((c) => c.Next);
      if (name === 'FindEndpoint') expect(catches).toEqual(['CreateEndpoint']);
      else expect({ name, catches }).toEqual({ name, catches: [restores[name] ?? 'UndoDeploy'] });
    }
  });
});
