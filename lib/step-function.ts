import { Duration, RemovalPolicy, Size, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BASE_ENVIRONMENT } from '#contracts/env.ts';
import { FUNCTIONS, type FunctionName, type StepSpec } from '#contracts/steps.ts';
import { bundledCode } from './bundle.ts';
import { projectPath } from './project.ts';

export interface StepFunctionProps {
  /** Which entry of the step registry (`FUNCTIONS`) to build: entry file, description, memory and timeout. */
  readonly step: FunctionName;
  /**
   * Extra environment variables (the `KAIZEN_*` resource names).
   * @default - only the Powertools and Node settings of `BASE_ENVIRONMENT`
   */
  readonly environment?: Record<string, string>;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Function memory in MB.
   * @default FUNCTIONS[step].memoryMb
   */
  readonly memoryMb?: number;
  /**
   * Function timeout.
   * @default FUNCTIONS[step].timeoutSeconds
   */
  readonly timeout?: Duration;
}

/**
 * One Lambda function of the app (a workflow step or the trigger): an ESM, minified, source-mapped Node.js 24 bundle on arm64 with
 * X-Ray tracing, its own log group with retention, and its own role that can only write to that log
 * group (grant table and bucket access on `lambdaFunction`).
 */
export class StepFunction extends Construct {
  /** The function; grant it access and pass its ARN to the state machine. */
  public readonly lambdaFunction: LambdaFunction;
  /** The function's execution role. */
  public readonly role: Role;
  /** Where the function logs. */
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    super(scope, id);
    const step: StepSpec = FUNCTIONS[props.step];
    const { description } = step;

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An own role instead of the default one, which carries the AWSLambdaBasicExecutionRole managed policy.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    this.logGroup.grantWrite(this.role);

    this.lambdaFunction = new LambdaFunction(this, 'Function', {
      code: bundledCode(projectPath(step.entry)),
      handler: 'index.handler',
      description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb ?? step.memoryMb,
      timeout: props.timeout ?? Duration.seconds(step.timeoutSeconds),
      ...(step.tmpMb === undefined ? {} : { ephemeralStorageSize: Size.mebibytes(step.tmpMb) }),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...BASE_ENVIRONMENT, ...props.environment },
    });
    // Tracing has just added the X-Ray statement, so the role's default policy exists now.
    const policy = this.role.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.',
    });
  }
}
