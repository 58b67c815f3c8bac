import { ArnFormat, Aws, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  type IStateMachine,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { SweepStep } from '#contracts/steps.ts';
import { FLEET_SWEEP_ASL } from '#contracts/workflows.ts';
import type { FunctionSettingsMap, KaizenStores } from './access.ts';
import { readDefinition } from './project.ts';
import { grantInvokeSteps, stepSubstitutions, workflowFunctions } from './workflow.ts';

export interface FleetSweepProps extends KaizenStores {
  /** The improvement loop the sweep starts for models whose policy says `retrain`. */
  readonly improvementLoop: IStateMachine;
  /**
   * Memory and timeout per step.
   * @default - the step registry's defaults
   */
  readonly functionSettings?: FunctionSettingsMap;
  /**
   * Name of the state machine.
   * @default `<stack name>-fleet-sweep`
   */
  readonly stateMachineName?: string;
  /**
   * Retention of the function's and the state machine's log groups.
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
 * The fleet sweep: the Express state machine of `statemachines/fleet-sweep.asl.json` that pages through
 * the registered models with the sweep function (one page per call), which starts the improvement loop
 * only where a model's policy says `retrain`.
 */
export class FleetSweep extends Construct {
  /** The Express workflow; start it with `{"pageSize": 100}`. */
  public readonly stateMachine: StateMachine;
  /** The Lambda function of each sweep step. */
  public readonly functions: Readonly<Record<SweepStep, IFunction>>;

  constructor(scope: Construct, id: string, props: FleetSweepProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    const functions = workflowFunctions(this, 'fleet-sweep', {
      stores: props,
      loop: props.improvementLoop,
      settings: props.functionSettings,
      logRetention,
      removalPolicy,
    });
    this.functions = functions;
    const substitutions = stepSubstitutions(functions);

    const logGroup = new LogGroup(this, 'StateMachineLogs', {
      // vendedlogs prefix keeps the log resource policy small; the stack GUID avoids clashing with a retained group.
      logGroupName: `/aws/vendedlogs/states/kaizen-fleet-sweep-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`,
      retention: logRetention,
      removalPolicy,
    });
    // Named, so that it may start itself (continue-as-new) without a reference to its own ARN in its role.
    const stateMachineName = props.stateMachineName ?? `${Stack.of(this).stackName}-fleet-sweep`;
    if (stateMachineName.length > 80) {
      throw new Error(
        `state machine name "${stateMachineName}" is ${stateMachineName.length} characters; Step Functions ` +
          'allows 80: use a shorter stack name or pass stateMachineName',
      );
    }
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromString(readDefinition(FLEET_SWEEP_ASL)),
      definitionSubstitutions: substitutions,
      // Cost: it runs every hour over thousands of models, so log failures only, without payloads.
      logs: { destination: logGroup, level: LogLevel.ERROR, includeExecutionData: false },
      tracingEnabled: true,
    });
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        'The hourly Express sweep would log every state of every page for thousands of models; errors ' +
        'are logged, each decision is recorded in the runs table and each sweep page is traced by X-Ray.',
    });

    grantInvokeSteps(this.stateMachine, functions);
    // A sweep near the Express limit goes on in a new execution of itself from its cursor.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          Stack.of(this).formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: stateMachineName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(this.stateMachine.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing and CloudWatch Logs log delivery (logs:*LogDelivery*, DescribeLogGroups) ' +
        'do not support resource-level permissions.',
    });
  }
}
