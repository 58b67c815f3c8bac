import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { KaizenStack } from '#lib/kaizen-stack.ts';
import { nagFindings } from '#lib/nag.ts';
import { testApp } from './cdk-app.ts';

const app = testApp({ bundle: false });
const stack = new KaizenStack(app, 'KaizenLoop');
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const idOf = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const bucketId = idOf(stack.dataStores.bucket);
const busId = idOf(stack.eventBus);

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of the policies attached to the role of `fn`. */
function statementsOf(fn: IConstruct): Statement[] {
  const properties = resources[idOf(fn)]?.Properties as { Role: { 'Fn::GetAtt': [string, string] } };
  const role = properties.Role['Fn::GetAtt'][0];
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy')
    .filter((r) => (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === role))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOn = (statements: Statement[], resource: unknown) =>
  statements
    .filter((s) => [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)))
    .flatMap((s) => [s.Action].flat())
    .sort();

describe('ingestion: the S3 drop folder and the Kaizen Observation rule', () => {
  const ingest = stack.ingestion.lambdaFunction;

  it('notifies the ingest function of objects created under ingest/ with each accepted extension, and nothing else', () => {
    const notifications = Object.values(resources).filter((r) => r.Type === 'Custom::S3BucketNotifications');
    expect(notifications).toHaveLength(1);
    const config = notifications[0]?.Properties.NotificationConfiguration as {
      LambdaFunctionConfigurations: { Events: string[]; LambdaFunctionArn: unknown; Filter: unknown }[];
    };
    expect(notifications[0]?.Properties.BucketName).toEqual({ Ref: bucketId });
    expect(config.LambdaFunctionConfigurations).toEqual(
      ['.csv', '.jsonl', '.ndjson', '.parquet'].map((suffix) => ({
        Events: ['s3:ObjectCreated:*'],
        LambdaFunctionArn: getAtt(idOf(ingest)),
        Filter: {
          Key: {
            FilterRules: [
              { Name: 'suffix', Value: suffix },
              { Name: 'prefix', Value: 'ingest/' },
            ],
          },
        },
      })),
    );
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(idOf(ingest)),
      Principal: 's3.amazonaws.com',
      SourceArn: getAtt(bucketId),
    });
  });

  it('routes Kaizen Observation events from any source but Kaizen Loop itself, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: busId },
      EventPattern: { 'detail-type': ['Kaizen Observation'], source: [{ 'anything-but': ['kaizen-loop'] }] },
      Targets: [
        {
          Arn: getAtt(idOf(ingest)),
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 21_600 },
          DeadLetterConfig: { Arn: getAtt(idOf(stack.ingestion.failedEvents)) },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      FunctionName: getAtt(idOf(ingest)),
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt(idOf(stack.ingestion.rule)),
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
  });

  it('lets the ingest function touch only the drop folder of the bucket: read, write and delete under ingest/*', () => {
    const statements = statementsOf(ingest);
    const dropFolder = { 'Fn::Join': ['', [getAtt(bucketId), '/ingest/*']] };
    expect(actionsOn(statements, dropFolder)).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(actionsOn(statements, { 'Fn::Join': ['', [getAtt(bucketId), '/*']] })).toEqual([]);
    expect(actionsOn(statements, getAtt(bucketId))).toEqual(['s3:ListBucket']);
    // Conditional puts and reads of observations; policies read, never written.
    expect(actionsOn(statements, getAtt(idOf(stack.dataStores.metricsTable)))).toEqual(
      expect.arrayContaining(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem']),
    );
    const registry = actionsOn(statements, getAtt(idOf(stack.dataStores.registryTable)));
    expect(registry).toContain('dynamodb:GetItem');
    expect(registry.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    expect(actionsOn(statements, getAtt(idOf(stack.dataStores.runsTable)))).toEqual([]);
    expect(statements.filter((s) => [s.Action].flat().includes('events:PutEvents'))).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: getAtt(busId) },
    ]);
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
