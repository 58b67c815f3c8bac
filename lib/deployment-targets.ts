import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import {
  LAMBDA_GET_ALIAS,
  LAMBDA_GET_FUNCTION_CONFIGURATION,
  LAMBDA_PUBLISH_VERSION,
  LAMBDA_UPDATE_ALIAS,
  LAMBDA_UPDATE_FUNCTION_CONFIGURATION,
} from '#contracts/workflows.ts';

/**
 * The serving resources the improvement loop may deploy to, named at deploy time (CDK context
 * `kaizen:deployEndpoints`, `kaizen:deployFunctions`): `'*'` for any of the account and region, or names.
 * Unnamed targets get no grant, so a policy that deploys to one fails with AccessDenied (a recorded failure).
 */
export type DeployTargets = '*' | readonly string[];

/** The Lambda actions of the `lambda-alias` target, one per Task resource of the definition. */
const LAMBDA_TARGET_ACTIONS: readonly (readonly [string, string])[] = [
  [LAMBDA_GET_FUNCTION_CONFIGURATION, 'lambda:GetFunctionConfiguration'],
  [LAMBDA_UPDATE_FUNCTION_CONFIGURATION, 'lambda:UpdateFunctionConfiguration'],
  [LAMBDA_PUBLISH_VERSION, 'lambda:PublishVersion'],
  [LAMBDA_GET_ALIAS, 'lambda:GetAlias'],
  [LAMBDA_UPDATE_ALIAS, 'lambda:UpdateAlias'],
];

/** A Lambda function's unqualified ARN (`arn:<partition>:lambda:<region>:<account>:function:<name>`). */
export const LAMBDA_FUNCTION_ARN =
  /^arn:aws[a-zA-Z-]*:lambda:[a-z]{2}(-[a-z]+)+-\d:\d{12}:function:[a-zA-Z0-9_-]{1,64}$/;

/**
 * Grants `stateMachine` what the `lambda-alias` deployment target's Tasks among `taskResources` need on the
 * functions named in `functions`: read and update the configuration, publish a version, read and move the
 * alias. Lambda authorizes the alias and version actions on the qualified ARN too (`function:<name>:<alias>`),
 * hence `function:<name>:*` beside each function. Nothing is granted without `functions`.
 */
export function grantLambdaTargets(
  stateMachine: StateMachine,
  taskResources: readonly string[],
  functions: DeployTargets | undefined,
): void {
  const actions = LAMBDA_TARGET_ACTIONS.filter(([resource]) => taskResources.includes(resource)).map(
    ([, action]) => action,
  );
  if (actions.length === 0 || functions === undefined || functions.length === 0) return;
  const stack = Stack.of(stateMachine);
  const functionArn = (name: string) =>
    LAMBDA_FUNCTION_ARN.test(name)
      ? name
      : stack.formatArn({
          service: 'lambda',
          resource: 'function',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        });
  // `function:*` matches the qualified ARNs as well.
  const resources =
    functions === '*'
      ? [functionArn('*')]
      : functions.flatMap((name) => [functionArn(name), `${functionArn(name)}:*`]);
  stateMachine.addToRolePolicy(new PolicyStatement({ actions, resources }));

  const policy = stateMachine.role.node.findChild('DefaultPolicy');
  const nagArn = (name: string) =>
    LAMBDA_FUNCTION_ARN.test(name)
      ? name
      : `arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:${name}`;
  if (functions === '*') {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn('*')}]`,
      reason:
        'kaizen:deployFunctions is "*": the stack was deployed to let model policies name any Lambda function ' +
        'of this account and region as their lambda-alias target, so the functions are not known at deploy time.',
    });
    return;
  }
  for (const name of functions) {
    Validations.of(policy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(name)}:*]`,
      reason:
        `The versions and aliases of ${name} only (named in kaizen:deployFunctions): Lambda authorizes ` +
        'GetAlias, UpdateAlias and PublishVersion on the qualified ARN, and versions are published at run time.',
    });
  }
}
