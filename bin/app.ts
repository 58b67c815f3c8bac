import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import {
  contextString,
  deployEndpointsFromContext,
  deployFunctionsFromContext,
  functionSettingsFromContext,
  monitoringFromContext,
  removalPolicyFromContext,
  sagemakerRoleArnFromContext,
} from '#lib/context.ts';
import { KaizenStack } from '#lib/kaizen-stack.ts';
import { addNagChecks } from '#lib/nag.ts';
import { InvalidPoliciesError, POLICIES_DIR, validatePolicies } from '#lib/policies.ts';
import { PROJECT_ROOT } from '#lib/project.ts';

const app = new App();
const context = (name: string) => contextString(app.node.tryGetContext(name), name);

// Policies kept in the repository must be valid before anything is deployed; a named folder must exist.
const policiesDir = context('kaizen:policiesDir');
try {
  validatePolicies(resolve(PROJECT_ROOT, policiesDir ?? POLICIES_DIR), {
    required: policiesDir !== undefined,
  });
} catch (error) {
  if (!(error instanceof InvalidPoliciesError)) throw error;
  console.error(error.message);
  process.exit(1);
}

new KaizenStack(app, context('kaizen:stackName') ?? 'KaizenLoop', {
  scheduleExpression: context('kaizen:schedule'),
  pullScheduleExpression: context('kaizen:pullSchedule'),
  functionSettings: functionSettingsFromContext(app.node.getAllContext()),
  removalPolicy: removalPolicyFromContext(app.node.tryGetContext('kaizen:removalPolicy')),
  sagemakerRoleArn: sagemakerRoleArnFromContext(app.node.tryGetContext('kaizen:sagemakerRoleArn')),
  deployEndpoints: deployEndpointsFromContext(app.node.tryGetContext('kaizen:deployEndpoints')),
  deployFunctions: deployFunctionsFromContext(app.node.tryGetContext('kaizen:deployFunctions')),
  monitoring: monitoringFromContext(
    app.node.tryGetContext('kaizen:dashboard'),
    app.node.tryGetContext('kaizen:sweepInterval'),
  ),
});
addNagChecks(app);
