import { App } from 'aws-cdk-lib';
import { contextString, parseModelList } from '#lib/context.ts';
import { KaizenStack } from '#lib/kaizen-stack.ts';
import { addNagChecks } from '#lib/nag.ts';

const app = new App();
const stackName =
  contextString(app.node.tryGetContext('kaizen:stackName'), 'kaizen:stackName') ?? 'KaizenLoop';

new KaizenStack(app, stackName, {
  scheduledModels: parseModelList(app.node.tryGetContext('kaizen:scheduledModels')),
  scheduleExpression: contextString(app.node.tryGetContext('kaizen:schedule'), 'kaizen:schedule'),
});
addNagChecks(app);
