import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { StateMachine as LocalStateMachine } from 'aws-local-stepfunctions';
import { afterAll, describe, expect, it } from 'vitest';
import { STEPS } from '#contracts/steps.ts';
import { FLEET_SWEEP_ASL, IMPROVEMENT_LOOP_ASL, OTHER_PLACEHOLDERS } from '#contracts/workflows.ts';
import { KaizenStack } from '#lib/kaizen-stack.ts';
import { projectPath, readDefinition } from '#lib/project.ts';
import { LocalEngine } from '#local/engine.ts';
import { testApp } from '../lib/cdk-app.ts';

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
// asl-validator (a dependency of aws-local-stepfunctions) is CommonJS without type declarations.
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

const files = readdirSync(projectPath('statemachines'))
  .filter((name) => name.endsWith('.asl.json'))
  .sort()
  .map((name) => `statemachines/${name}`);

/** The `${Name}` placeholders of a definition, as written in the file. */
function placeholdersOf(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] as string));
}

/** The definition with every placeholder replaced by a well-formed ARN of the kind its name says. */
function withSampleArns(text: string): unknown {
  const sampled = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_all, name: string) =>
    name.endsWith('TopicArn')
      ? `arn:aws:sns:us-east-1:123456789012:${name}`
      : `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
  );
  return JSON.parse(sampled);
}

// Shape-only synthesis (no bundling): substitutions do not depend on the Lambda code.
const template = Template.fromStack(new KaizenStack(testApp({ bundle: false }), 'KaizenLoop'));
const stateMachines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
  Properties: {
    DefinitionString: string;
    DefinitionSubstitutions?: Record<string, unknown>;
    StateMachineType: string;
  };
}[];

/** The state machine resource deployed from this file (matched on the parsed definition). */
function deployedFrom(file: string) {
  const definition = JSON.parse(readDefinition(file));
  return stateMachines.find((sm) => {
    const deployed = sm.Properties.DefinitionString;
    return (
      typeof deployed === 'string' && JSON.stringify(JSON.parse(deployed)) === JSON.stringify(definition)
    );
  });
}

describe('state machine definitions', () => {
  it('finds the definition files', () => {
    expect(files).toEqual([FLEET_SWEEP_ASL, IMPROVEMENT_LOOP_ASL].sort());
  });

  it.each([
    [IMPROVEMENT_LOOP_ASL, 'STANDARD'],
    [FLEET_SWEEP_ASL, 'EXPRESS'],
  ])('%s is deployed as a %s workflow', (file, type) => {
    expect(deployedFrom(file)?.Properties.StateMachineType).toBe(type);
  });

  it('the stack deploys exactly one state machine per definition file', () => {
    expect(stateMachines).toHaveLength(files.length);
  });

  it.each(files)('%s is valid ASL', (file) => {
    const result = aslValidator(withSampleArns(readDefinition(file)), { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it.each(files)('%s loads in the local engine', (file) => {
    expect(() => new LocalStateMachine(withSampleArns(readDefinition(file)) as never)).not.toThrow();
  });

  it.each(files)('%s is deployed by a state machine of the stack', (file) => {
    expect(deployedFrom(file)).toBeDefined();
  });

  it.each(files)('%s: placeholders and definitionSubstitutions match exactly', (file) => {
    const substitutions = Object.keys(deployedFrom(file)?.Properties.DefinitionSubstitutions ?? {});
    expect(new Set(substitutions)).toEqual(placeholdersOf(readDefinition(file)));
  });

  it.each(files)(
    '%s uses only placeholders the local engine knows (STEPS and OTHER_PLACEHOLDERS)',
    (file) => {
      const known = new Set<string>([
        ...Object.values(STEPS).map((step) => step.placeholder),
        ...OTHER_PLACEHOLDERS,
      ]);
      expect([...placeholdersOf(readDefinition(file))].filter((name) => !known.has(name))).toEqual([]);
    },
  );

  it('every step placeholder is used by some definition', () => {
    const used = new Set(files.flatMap((file) => [...placeholdersOf(readDefinition(file))]));
    const unused = Object.values(STEPS)
      .map((step) => step.placeholder)
      .filter((name) => !used.has(name));
    expect(unused).toEqual([]);
  });
});

describe('fleet sweep definition', () => {
  const home = mkdtempSync(join(tmpdir(), 'kaizen-asl-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('calls the sweep page by page, with the execution name and start time, until the cursor is null', async () => {
    const calls: { input: { cursor?: string | null; pages?: number }; execution: unknown }[] = [];
    const cursors = ['churn', 'fraud', null];
    const engine = new LocalEngine({
      home,
      handlers: {
        sweep: (event) => {
          const call = event as (typeof calls)[number];
          calls.push(call);
          const pages = call.input.pages ?? 0;
          return { cursor: cursors[pages], pageSize: 2, pages: pages + 1 };
        },
      },
    });
    const execution = await engine.run(FLEET_SWEEP_ASL, { pageSize: 2 }, { executionName: 'sweep-1' });
    expect(execution).toMatchObject({ status: 'SUCCEEDED', output: { cursor: null, pageSize: 2, pages: 3 } });
    expect(calls.map((call) => call.input.cursor)).toEqual([undefined, 'churn', 'fraud']);
    expect(calls[0]).toEqual({
      input: { pageSize: 2 },
      execution: { name: 'sweep-1', startTime: expect.any(String) },
    });
  });
});
