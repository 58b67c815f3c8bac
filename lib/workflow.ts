import type { RemovalPolicy } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IStateMachine, StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { pascal, STEPS, type StepName, stepsOf, type Workflow } from '#contracts/steps.ts';
import { type FunctionSettingsMap, type KaizenStores, kaizenFunction } from './access.ts';

export interface WorkflowFunctionsProps {
  readonly stores: KaizenStores;
  /** The improvement loop, for steps that start it. */
  readonly loop?: IStateMachine;
  /** The stack's event bus, for steps that publish events. */
  readonly eventBus?: IEventBus;
  readonly settings?: FunctionSettingsMap;
  readonly logRetention: RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** One function per step of `workflow` in the step registry, each with exactly its registry grants. */
export function workflowFunctions<W extends Workflow>(
  scope: Construct,
  workflow: W,
  props: WorkflowFunctionsProps,
): Record<ReturnType<typeof stepsOf<W>>[number], IFunction> {
  const functions: Partial<Record<StepName, IFunction>> = {};
  for (const step of stepsOf(workflow) as StepName[]) {
    functions[step] = kaizenFunction(scope, pascal(step), {
      name: step,
      stores: props.stores,
      loop: props.loop,
      eventBus: props.eventBus,
      settings: props.settings?.[step],
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    }).lambdaFunction;
  }
  return functions as Record<ReturnType<typeof stepsOf<W>>[number], IFunction>;
}

/**
 * `definitionSubstitutions` of the steps' placeholders: `${<Step>FunctionArn}` -> the function's ARN, for
 * `lambda` steps (the Task's Resource) and `callback` steps (the `FunctionName` of a
 * `lambda:invoke.waitForTaskToken` Task) alike.
 */
export function stepSubstitutions(functions: Partial<Record<StepName, IFunction>>): Record<string, string> {
  return Object.fromEntries(
    (Object.entries(functions) as [StepName, IFunction][]).map(([step, fn]) => [
      STEPS[step].placeholder,
      fn.functionArn,
    ]),
  );
}

/**
 * The definition is a string, so CDK cannot infer what it calls: grant exactly these functions (a callback
 * step is invoked by Step Functions as a `lambda` step is, so it needs the same `lambda:InvokeFunction`).
 */
export function grantInvokeSteps(
  stateMachine: StateMachine,
  functions: Partial<Record<StepName, IFunction>>,
) {
  stateMachine.addToRolePolicy(
    new PolicyStatement({
      actions: ['lambda:InvokeFunction'],
      resources: Object.values(functions).map((fn) => fn.functionArn),
    }),
  );
}

/** Every distinct `Resource` of a Task state in an ASL definition, nested Map and Parallel states included. */
export function taskResources(definition: string): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.Type === 'Task' && typeof record.Resource === 'string') found.add(record.Resource);
    for (const value of Object.values(record)) walk(value);
  };
  walk(JSON.parse(definition));
  return [...found];
}
