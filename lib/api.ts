import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  type IAuthorizer,
  type JsonSchema,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Model,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { batchRequestModel } from '#domain/api.ts';
import { type FunctionSettings, type KaizenStores, kaizenFunction } from './access.ts';

export interface KaizenApiProps extends KaizenStores {
  /**
   * An authorizer for every method instead of IAM, e.g. `new CognitoUserPoolsAuthorizer(...)` for JWTs of a
   * user pool (producers then send `Authorization: <id token>` instead of SigV4).
   * @default - AWS_IAM: requests signed with SigV4 by a principal allowed `execute-api:Invoke`
   */
  readonly authorizer?: IAuthorizer;
  /**
   * Steady-state requests per second of the stage.
   * @default 50
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests of the stage.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Memory and timeout of the API function.
   * @default - the step registry's defaults
   */
  readonly functionSettings?: FunctionSettings;
  /**
   * Retention of the function's and the access logs' log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The HTTPS API for producers: a REST API (stage `v1`) with `POST /observations` and
 * `GET /models/{id}/status` on one Lambda proxy integration, IAM-authorized by default, the request body's
 * envelope and the path parameter validated by API Gateway, stage throttling, JSON access logs and tracing.
 */
export class KaizenApi extends Construct {
  /** The REST API; its `url` ends with the stage (`.../v1/`). */
  public readonly api: RestApi;
  /** The function behind every method. */
  public readonly lambdaFunction: IFunction;
  /** Where API Gateway writes one JSON line per request. */
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: KaizenApiProps) {
    super(scope, id);
    const { lambdaFunction } = kaizenFunction(this, 'Function', {
      name: 'api',
      stores: props,
      settings: props.functionSettings,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    this.lambdaFunction = lambdaFunction;
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const authorization = props.authorizer
      ? { authorizer: props.authorizer, authorizationType: props.authorizer.authorizationType }
      : { authorizationType: AuthorizationType.IAM };
    this.api = new RestApi(this, 'RestApi', {
      description: 'Kaizen Loop: KPI observations in, model status out',
      // The account-wide CloudWatch role is the account's choice, not this stack's.
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: props.throttlingRateLimit ?? 50,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 100,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: MethodLoggingLevel.OFF,
        tracingEnabled: true,
      },
      defaultMethodOptions: authorization,
    });
    // The stack names the URL in its own output (ApiUrl); CDK's default output would be a second one.
    this.api.node.tryRemoveChild('Endpoint');
    const integration = new LambdaIntegration(lambdaFunction);
    const { $schema: _draft, ...envelope } = batchRequestModel();
    const batch = new Model(this, 'ObservationBatch', {
      restApi: this.api,
      contentType: 'application/json',
      modelName: 'ObservationBatch',
      schema: { ...envelope, schema: JsonSchemaVersion.DRAFT4 } as JsonSchema,
    });
    // One validator for both methods: the body's envelope where a model is set, the required path parameters.
    const validator = new RequestValidator(this, 'Validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    this.api.root.addResource('observations').addMethod('POST', integration, {
      requestModels: { 'application/json': batch },
      requestValidator: validator,
    });
    this.api.root
      .addResource('models')
      .addResource('{id}')
      .addResource('status')
      .addMethod('GET', integration, {
        requestParameters: { 'method.request.path.id': true },
        requestValidator: validator,
      });

    const stage = this.api.deploymentStage;
    Validations.of(stage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Every method needs SigV4 (or the Cognito authorizer) and the stage is throttled; a WAF web ACL is ' +
        "the account's choice (associate one with the stage).",
    });
    Validations.of(stage).acknowledge({
      id: 'AwsSolutions-APIG6',
      reason:
        'Access logs record every request; execution logging needs the account-wide API Gateway CloudWatch ' +
        'role, which this stack does not set for the whole account.',
    });
    if (!props.authorizer) {
      for (const method of this.api.methods) {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason:
            'The method is AWS_IAM-authorized (SigV4); a Cognito authorizer is an option of the construct.',
        });
      }
    }
  }
}
