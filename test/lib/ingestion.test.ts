import type { CfnElement } from 'aws-cdk-lib';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CognitoUserPoolsAuthorizer } from 'aws-cdk-lib/aws-apigateway';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { KaizenApi } from '#lib/api.ts';
import { DataStores } from '#lib/data-stores.ts';
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

  it('notifies the ingest function of objects created under ingest/ with each accepted extension and under datasets/, and nothing else', () => {
    const notifications = Object.values(resources).filter((r) => r.Type === 'Custom::S3BucketNotifications');
    expect(notifications).toHaveLength(1);
    const config = notifications[0]?.Properties.NotificationConfiguration as {
      LambdaFunctionConfigurations: { Events: string[]; LambdaFunctionArn: unknown; Filter: unknown }[];
    };
    expect(notifications[0]?.Properties.BucketName).toEqual({ Ref: bucketId });
    expect(config.LambdaFunctionConfigurations).toEqual([
      ...['.csv', '.jsonl', '.ndjson', '.parquet'].map((suffix) => ({
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
      // Window datasets: their arrival is recorded for the models awaiting them.
      {
        Events: ['s3:ObjectCreated:*'],
        LambdaFunctionArn: getAtt(idOf(ingest)),
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'datasets/' }] } },
      },
    ]);
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

  it('keeps an S3 notification or event the function still fails after two retries in the same queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: idOf(ingest) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: getAtt(idOf(stack.ingestion.failedEvents)) } },
    });
    expect(actionsOn(statementsOf(ingest), getAtt(idOf(stack.ingestion.failedEvents)))).toEqual(
      expect.arrayContaining(['sqs:SendMessage']),
    );
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
});

describe('the HTTPS API', () => {
  const apiId = idOf(stack.api.api);
  const methods = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGateway::Method');

  it('authorizes every method with AWS_IAM (SigV4) and proxies both routes to the API function', () => {
    expect(methods.map((m) => [m.Properties.HttpMethod, m.Properties.AuthorizationType]).sort()).toEqual([
      ['GET', 'AWS_IAM'],
      ['POST', 'AWS_IAM'],
    ]);
    for (const method of methods) {
      expect(method.Properties.Integration).toMatchObject({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
      });
    }
    const paths = Object.values(resources)
      .filter((r) => r.Type === 'AWS::ApiGateway::Resource')
      .map((r) => r.Properties.PathPart)
      .sort();
    expect(paths).toEqual(['models', 'observations', 'status', '{id}']);
  });

  it('validates the body of POST /observations against the batch envelope (the function counts the rows: 413) and the path of GET', () => {
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      RestApiId: { Ref: apiId },
      ContentType: 'application/json',
      Schema: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        required: ['observations'],
        additionalProperties: false,
        properties: {
          observations: Match.objectEquals({ type: 'array', items: {}, description: Match.anyValue() }),
        },
      },
    });
    const post = methods.find((m) => m.Properties.HttpMethod === 'POST');
    const get = methods.find((m) => m.Properties.HttpMethod === 'GET');
    const validator = (ref: unknown) => resources[(ref as { Ref: string }).Ref]?.Properties;
    for (const method of [post, get]) {
      expect(validator(method?.Properties.RequestValidatorId)).toMatchObject({
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
    }
    expect(post?.Properties.RequestModels).toEqual({
      'application/json': expect.objectContaining({ Ref: expect.any(String) }),
    });
    expect(get?.Properties.RequestParameters).toEqual({ 'method.request.path.id': true });
  });

  it('throttles the stage, writes JSON access logs to its own log group, and traces', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      MethodSettings: [
        {
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
          LoggingLevel: 'OFF',
        },
      ],
      AccessLogSetting: {
        DestinationArn: getAtt(idOf(stack.api.accessLogs)),
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it('gives the API function conditional writes of observations and reads of the registry and runs, nothing more', () => {
    const statements = statementsOf(stack.api.lambdaFunction);
    const services = new Set(statements.flatMap((s) => [s.Action].flat()).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'xray']);
    const registry = actionsOn(statements, getAtt(idOf(stack.dataStores.registryTable)));
    const runs = actionsOn(statements, getAtt(idOf(stack.dataStores.runsTable)));
    expect([...registry, ...runs].filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    expect(actionsOn(statements, getAtt(idOf(stack.dataStores.metricsTable)))).toContain('dynamodb:PutItem');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: getAtt(idOf(stack.api.lambdaFunction)),
    });
  });

  it('takes a Cognito user pools authorizer instead of IAM when given one', () => {
    const other = new Stack(testApp({ bundle: false }), 'WithCognito');
    const stores = new DataStores(other, 'Stores');
    const pool = UserPool.fromUserPoolArn(
      other,
      'Pool',
      'arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc',
    );
    const authorizer = new CognitoUserPoolsAuthorizer(other, 'Authorizer', { cognitoUserPools: [pool] });
    new KaizenApi(other, 'Api', {
      metricsTable: stores.metricsTable,
      registryTable: stores.registryTable,
      runsTable: stores.runsTable,
      bucket: stores.bucket,
      authorizer,
    });
    const found = Template.fromStack(other).findResources('AWS::ApiGateway::Method');
    expect(Object.values(found).map((m) => m.Properties.AuthorizationType)).toEqual([
      'COGNITO_USER_POOLS',
      'COGNITO_USER_POOLS',
    ]);
    Template.fromStack(other).hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
    });
  });
});

describe('the scheduled CloudWatch pull', () => {
  const pull = stack.metricPull.lambdaFunction;

  it('invokes the pull function hourly with {} from EventBridge Scheduler, under a role that may invoke only it', () => {
    const schedule = resources[idOf(stack.metricPull.schedule)]?.Properties as {
      ScheduleExpression: string;
      FlexibleTimeWindow: unknown;
      Target: {
        Arn: unknown;
        Input: string;
        RoleArn: { 'Fn::GetAtt': [string, string] };
        RetryPolicy: unknown;
      };
    };
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: getAtt(idOf(pull)),
        Input: '{}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      },
    });
    const role = schedule.Target.RoleArn['Fn::GetAtt'][0];
    const statements = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => (r.Properties.Roles as { Ref: string }[]).some((ref) => ref.Ref === role))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: [getAtt(idOf(pull)), expect.anything()],
      }),
    ]);
  });

  it('takes another schedule from the stack props', () => {
    const other = new KaizenStack(testApp({ bundle: false }), 'Other', {
      pullScheduleExpression: 'rate(15 minutes)',
    });
    const schedule = other.metricPull.schedule.node.defaultChild as CfnElement;
    expect(other.resolve((schedule as unknown as { scheduleExpression: string }).scheduleExpression)).toBe(
      'rate(15 minutes)',
    );
  });

  it('lets the pull function read metric data and the registry, and write observations, nothing else', () => {
    const statements = statementsOf(pull);
    expect(statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('cloudwatch:')))).toEqual([
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
    const services = new Set(statements.flatMap((s) => [s.Action].flat()).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['cloudwatch', 'dynamodb', 'logs', 'xray']);
    const registry = actionsOn(statements, getAtt(idOf(stack.dataStores.registryTable)));
    expect(registry).toContain('dynamodb:Query');
    expect(registry.filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual([]);
    expect(actionsOn(statements, getAtt(idOf(stack.dataStores.runsTable)))).toEqual([]);
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the stack', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});
