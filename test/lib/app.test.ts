import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT, readDefinition } from '#lib/project.ts';
import { cdkJsonContext } from './cdk-app.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** Runs `bin/app.ts` the way the CDK CLI does (CDK_OUTDIR, CDK_CONTEXT_JSON), without bundling. */
function runApp(context: Record<string, unknown>): { status: number | null; stderr: string; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'kaizen-app-'));
  outdirs.push(outdir);
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJsonContext(), ...context, 'aws:cdk:bundling-stacks': [] }),
    },
  });
  return { status: result.status, stderr: result.stderr, outdir };
}

function synthApp(context: Record<string, unknown>, stackName: string): Template {
  const { status, stderr, outdir } = runApp(context);
  // A non-zero exit here includes cdk-nag findings, which the app turns into a failed synthesis.
  expect({ status, stderr }).toMatchObject({ status: 0 });
  return JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')) as Template;
}

/** A temp policies folder holding these JSON documents, by file name. */
function policiesDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kaizen-app-policies-'));
  outdirs.push(dir);
  for (const [name, document] of Object.entries(files))
    writeFileSync(join(dir, name), JSON.stringify(document));
  return dir;
}

const churn = JSON.parse(readDefinition('examples/churn-policy.json')) as Record<string, unknown>;

const schedulesOf = (template: Template) =>
  Object.values(template.Resources).filter((r) => r.Type === 'AWS::Scheduler::Schedule');

describe('bin/app.ts', () => {
  it('synthesizes stack KaizenLoop with an hourly fleet sweep and an hourly CloudWatch pull by default, passing cdk-nag', () => {
    const schedules = schedulesOf(synthApp({}, 'KaizenLoop'));
    expect(
      schedules.map((s) => [
        s.Properties.ScheduleExpression,
        (s.Properties.Target as { Input: string }).Input,
      ]),
    ).toEqual([
      ['rate(1 hour)', JSON.stringify({ pageSize: 100 })],
      ['rate(1 hour)', '{}'],
    ]);
  });

  it('reads the stack name, the schedules and a folder of valid policies from context', () => {
    const dir = policiesDir({ 'churn.json': churn, 'fraud.json': { ...churn, modelId: 'fraud' } });
    const template = synthApp(
      {
        'kaizen:stackName': 'KaizenStaging',
        'kaizen:schedule': 'rate(6 hours)',
        'kaizen:pullSchedule': 'rate(15 minutes)',
        'kaizen:policiesDir': dir,
      },
      'KaizenStaging',
    );
    expect(schedulesOf(template).map((s) => s.Properties.ScheduleExpression)).toEqual([
      'rate(6 hours)',
      'rate(15 minutes)',
    ]);
  });

  it('fails the synthesis on an invalid policy, naming the file and the field', () => {
    const dir = policiesDir({
      'churn.json': churn,
      'fraud.json': { ...churn, modelId: 'fraud', window: 'daily' },
    });
    const { status, stderr } = runApp({ 'kaizen:policiesDir': dir });
    expect(status).not.toBe(0);
    expect(stderr).toContain(`${join(dir, 'fraud.json')} is invalid`);
    expect(stderr).toMatch(/^\s+window: /m);
    expect(stderr).not.toContain('churn.json');
  });

  it('imports the SageMaker role named by kaizen:sagemakerRoleArn instead of creating one', () => {
    const arn = 'arn:aws:iam::123456789012:role/team-sagemaker';
    const template = synthApp({ 'kaizen:sagemakerRoleArn': arn }, 'KaizenLoop');
    const resources = Object.values(template.Resources);
    const sagemakerRoles = resources.filter(
      (r) => r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties).includes('sagemaker.amazonaws.com'),
    );
    expect(sagemakerRoles).toEqual([]);
    const [loop] = resources.filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Properties.StateMachineType === 'STANDARD',
    );
    expect(loop?.Properties.DefinitionSubstitutions).toMatchObject({ SageMakerRoleArn: arn });
    const passRole = resources
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement)
      .filter((statement) => statement.Action === 'iam:PassRole');
    expect(passRole).toEqual([
      {
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        Effect: 'Allow',
        Resource: arn,
      },
    ]);
  });

  it('fails the synthesis on a kaizen:sagemakerRoleArn that is not a role ARN, naming the key', () => {
    const { status, stderr } = runApp({ 'kaizen:sagemakerRoleArn': 'team-sagemaker' });
    expect(status).not.toBe(0);
    expect(stderr).toContain('kaizen:sagemakerRoleArn must be an IAM role ARN');
    expect(stderr).toContain('"team-sagemaker"');
  });

  /** The improvement loop role's statements that act on the team's endpoints and functions. */
  const targetStatements = (template: Template) =>
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .flatMap(
        (r) =>
          (r.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
            .Statement,
      )
      .filter((s) =>
        [s.Action]
          .flat()
          .some((a) => /^sagemaker:(Describe|Create|Update)Endpoint$|^lambda:(Get|Update|Publish)/.test(a)),
      );
  const arn = (service: string, resource: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  });

  it('grants no endpoint and no function to deploy to unless kaizen:deployEndpoints / kaizen:deployFunctions name them', () => {
    expect(targetStatements(synthApp({}, 'KaizenLoop'))).toEqual([]);
  });

  it('grants exactly the endpoint and the function named by kaizen:deployEndpoints and kaizen:deployFunctions, passing cdk-nag', () => {
    const template = synthApp(
      { 'kaizen:deployEndpoints': 'churn-endpoint', 'kaizen:deployFunctions': 'churn-scorer' },
      'KaizenLoop',
    );
    expect(targetStatements(template)).toEqual([
      {
        Action: ['sagemaker:DescribeEndpoint', 'sagemaker:CreateEndpoint', 'sagemaker:UpdateEndpoint'],
        Effect: 'Allow',
        Resource: arn('sagemaker', 'endpoint/churn-endpoint'),
      },
      {
        Action: 'sagemaker:CreateEndpoint',
        Effect: 'Allow',
        Resource: arn('sagemaker', 'endpoint-config/kaizen-*'),
      },
      {
        Action: 'sagemaker:UpdateEndpoint',
        Effect: 'Allow',
        Resource: arn('sagemaker', 'endpoint-config/*'),
      },
      {
        Action: [
          'lambda:GetFunctionConfiguration',
          'lambda:UpdateFunctionConfiguration',
          'lambda:PublishVersion',
          'lambda:GetAlias',
          'lambda:UpdateAlias',
        ],
        Effect: 'Allow',
        Resource: [arn('lambda', 'function:churn-scorer'), arn('lambda', 'function:churn-scorer:*')],
      },
    ]);
  });

  it('grants any endpoint and function with "*", the cdk-nag findings acknowledged', () => {
    const template = synthApp({ 'kaizen:deployEndpoints': '*', 'kaizen:deployFunctions': '*' }, 'KaizenLoop');
    expect(targetStatements(template).map((s) => s.Resource)).toEqual([
      arn('sagemaker', 'endpoint/*'),
      arn('sagemaker', 'endpoint-config/kaizen-*'),
      arn('sagemaker', 'endpoint-config/*'),
      arn('lambda', 'function:*'),
    ]);
  });

  it.each([
    [
      'kaizen:deployEndpoints',
      'churn_endpoint',
      'kaizen:deployEndpoints must be "*" or comma-separated SageMaker endpoint names',
    ],
    [
      'kaizen:deployEndpoints',
      'churn-endpoint,*',
      'kaizen:deployEndpoints: "*" (any) cannot be combined with names',
    ],
    [
      'kaizen:deployFunctions',
      'churn-scorer:live',
      'kaizen:deployFunctions must be "*" or comma-separated Lambda function names',
    ],
    [
      'kaizen:deployFunctions',
      'churn-scorer,',
      'kaizen:deployFunctions must be "*" or comma-separated Lambda function names',
    ],
  ])('fails the synthesis on %s=%s, naming the key', (key, value, message) => {
    const { status, stderr } = runApp({ [key]: value });
    expect(status).not.toBe(0);
    expect(stderr).toContain(message);
  });

  it('fails the synthesis when the named policies folder does not exist', () => {
    const { status, stderr } = runApp({ 'kaizen:policiesDir': 'no-such-policies' });
    expect(status).not.toBe(0);
    expect(stderr).toContain(join(PROJECT_ROOT, 'no-such-policies'));
  });
});
