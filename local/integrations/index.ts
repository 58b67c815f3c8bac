import type { StepName } from '#contracts/steps.ts';
import type { KaizenContext } from '#runtime/context.ts';
import type { CallbackTasks } from '../callbacks.ts';
import { type HandlerWrapper, lambdaIntegration, type StepHandler } from './lambda.ts';
import { sagemakerIntegration } from './sagemaker.ts';
import { servingIntegration } from './serving.ts';
import { snsIntegration } from './sns.ts';
import { type ExecutionStarter, statesIntegration } from './states.ts';
import type { LocalIntegration } from './types.ts';

export interface LocalIntegrationsOptions {
  home: string;
  root: string;
  handlers?: Partial<Record<StepName, StepHandler>>;
  context?: KaizenContext;
  lambdaTimeoutSeconds: number;
  wrapHandler?: HandlerWrapper;
  /** The callback tasks `lambda:invoke.waitForTaskToken` Tasks wait on. */
  callbacks: CallbackTasks;
  /** How `states:startExecution` tasks start executions (the engine runs them in the background). */
  startExecution: ExecutionStarter;
}

/**
 * The built-in local integrations, one per kind of Task resource the workflows use. A new kind (a callback
 * task, a SageMaker job) is one module beside these and one line here.
 */
export function localIntegrations(options: LocalIntegrationsOptions): LocalIntegration[] {
  return [
    lambdaIntegration({
      root: options.root,
      handlers: options.handlers,
      context: options.context,
      timeoutSeconds: options.lambdaTimeoutSeconds,
      wrapHandler: options.wrapHandler,
      callbacks: options.callbacks,
    }),
    snsIntegration(options.home),
    statesIntegration(options.startExecution),
    sagemakerIntegration({ home: options.home, ...(options.context ? { s3: options.context.s3 } : {}) }),
    servingIntegration({ home: options.home }),
  ];
}
