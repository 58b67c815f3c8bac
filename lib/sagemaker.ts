import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  SAGEMAKER_CREATE_ENDPOINT,
  SAGEMAKER_CREATE_ENDPOINT_CONFIG,
  SAGEMAKER_CREATE_MODEL,
  SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
  SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
  SAGEMAKER_DESCRIBE_ENDPOINT,
  SAGEMAKER_UPDATE_ENDPOINT,
} from '#contracts/workflows.ts';
import type { DeployTargets } from './deployment-targets.ts';

/**
 * Every SageMaker job, model and endpoint config Kaizen Loop creates is named `kaizen-…` (the prepare step
 * names them).
 */
const JOB_NAME_PATTERN = 'kaizen-*';

/** The log group of an endpoint's containers, `/aws/sagemaker/Endpoints/<endpoint name>`. */
const ENDPOINT_LOG_GROUP = '/aws/sagemaker/Endpoints';

/** Where a job of SageMaker's writes: the training output and the processing jobs' score files. */
const OUTPUT_PREFIX = 'models/';

/** What the state machine's role needs for each `.sync` SageMaker Task resource. */
const JOB_KINDS = [
  {
    resource: SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
    arnResource: 'training-job',
    actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'],
    // The managed rule through which Step Functions learns that a `.sync` job ended.
    rule: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule',
    logGroup: '/aws/sagemaker/TrainingJobs',
  },
  {
    resource: SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
    arnResource: 'processing-job',
    actions: [
      'sagemaker:CreateProcessingJob',
      'sagemaker:DescribeProcessingJob',
      'sagemaker:StopProcessingJob',
    ],
    rule: 'StepFunctionsGetEventsForSageMakerProcessingJobsRule',
    logGroup: '/aws/sagemaker/ProcessingJobs',
  },
] as const;

export interface SageMakerJobsProps {
  /** The artifacts bucket: jobs read its objects and write under `models/`. */
  readonly bucket: IBucket;
  /**
   * An existing execution role to pass to SageMaker instead of creating one (CDK context
   * `kaizen:sagemakerRoleArn`). It is imported as it is: its owner grants it the bucket, ECR and logs.
   * @default - a role created here with exactly what the jobs need
   */
  readonly roleArn?: string;
}

/**
 * The execution role of the SageMaker training and processing jobs the improvement loop starts, and the
 * grants its state machine needs to start them (`grantStartJobs`).
 *
 * The role created here may: read any object of the bucket, write under `models/` only, list the bucket,
 * pull container images, write the jobs' logs and metrics.
 */
export class SageMakerJobs extends Construct {
  /** The role SageMaker assumes for the jobs (`${SageMakerRoleArn}` in the definition). */
  public readonly role: IRole;
  /** The state machines already allowed to pass the role (once each, whichever grant comes first). */
  private readonly passers = new Set<StateMachine>();

  constructor(scope: Construct, id: string, props: SageMakerJobsProps) {
    super(scope, id);
    if (props.roleArn) {
      this.role = Role.fromRoleArn(this, 'Role', props.roleArn, { mutable: false });
      return;
    }
    const stack = Stack.of(this);
    const role = new Role(this, 'Role', {
      // Only jobs started in this account can use it (cross-service confused deputy).
      assumedBy: new ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'Kaizen Loop SageMaker training and processing jobs',
    });
    this.role = role;
    const { bucket } = props;

    // Every key, not a prefix: a policy names its training code (`sourceDir`), datasets and holdout by any key
    // the team uploads, and the jobs read them where they are.
    role.addToPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }),
    );
    // Training output (`models/<model>/<execution>/<job>/output/model.tar.gz`) and score files
    // (`models/<model>/<execution>/scores/…`); the bucket's lifecycle rule aborts stale multipart uploads.
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${OUTPUT_PREFIX}*`)],
      }),
    );
    // SageMaker lists the keys under an `S3Prefix` input before downloading them.
    role.addToPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    bucket.encryptionKey?.grantEncryptDecrypt(role);

    role.addToPolicy(new PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    role.addToPolicy(
      new PolicyStatement({
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: ['*'],
      }),
    );
    const logGroups = JOB_KINDS.flatMap(({ logGroup }) => {
      const arn = stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: logGroup,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      return [arn, `${arn}:*`];
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: logGroups,
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': '/aws/sagemaker/*' } },
      }),
    );

    const policy = role.node.findChild('DefaultPolicy');
    const acknowledge = (id: string, reason: string) =>
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[${id}]`, reason });
    const bucketId = bucketLogicalId(bucket);
    if (bucketId) {
      acknowledge(
        `Resource::<${bucketId}.Arn>/*`,
        'Jobs read the training code, datasets and holdout by the keys each model policy names, which may ' +
          'be any key of this one bucket; writes are limited to models/.',
      );
      acknowledge(
        `Resource::<${bucketId}.Arn>/${OUTPUT_PREFIX}*`,
        'Output keys are made per model, execution and job at run time, all under models/ of this one bucket.',
      );
    }
    acknowledge(
      'Resource::*',
      'ecr:GetAuthorizationToken and cloudwatch:PutMetricData have no resource-level permissions (the metrics ' +
        'are limited to the /aws/sagemaker/ namespaces by condition); the image pull actions name no repository ' +
        'because the SageMaker framework images live in AWS-owned accounts per region.',
    );
    for (const { logGroup } of JOB_KINDS) {
      acknowledge(
        `Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${logGroup}:*`,
        `SageMaker names one log stream per job and instance at run time, all in the ${logGroup} log group.`,
      );
    }
  }

  /**
   * Grants `stateMachine` what the `.sync` SageMaker Tasks among `taskResources` (the definition's Task
   * resources) need: create, describe and stop `kaizen-*` jobs, the managed EventBridge rule of each job
   * kind, and passing this role to SageMaker only.
   */
  public grantStartJobs(stateMachine: StateMachine, taskResources: readonly string[]): void {
    const kinds = JOB_KINDS.filter((kind) => taskResources.includes(kind.resource));
    if (kinds.length === 0) return;
    const stack = Stack.of(this);
    const jobArn = (resource: string) =>
      stack.formatArn({ service: 'sagemaker', resource, resourceName: JOB_NAME_PATTERN });
    for (const kind of kinds) {
      stateMachine.addToRolePolicy(
        new PolicyStatement({ actions: [...kind.actions], resources: [jobArn(kind.arnResource)] }),
      );
    }
    // Step Functions' own policy templates for SageMaker Tasks add ListTags; here only on Kaizen's jobs.
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['sagemaker:ListTags'],
        resources: kinds.map((kind) => jobArn(kind.arnResource)),
      }),
    );
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: kinds.map((kind) =>
          stack.formatArn({ service: 'events', resource: 'rule', resourceName: kind.rule }),
        ),
      }),
    );
    this.grantPassRole(stateMachine);
    const policy = stateMachine.role.node.findChild('DefaultPolicy');
    for (const kind of kinds) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:${kind.arnResource}/${JOB_NAME_PATTERN}]`,
        reason:
          'Job names are made per model and execution at run time; the kaizen- prefix limits the grant to ' +
          "the improvement loop's own jobs.",
      });
    }
  }

  /**
   * Grants `stateMachine` what the `sagemaker-endpoint` deployment target's Tasks among `taskResources` need:
   * create `kaizen-*` models (passing this role, their execution role, which pulls the image and reads the
   * artifact) and `kaizen-*` endpoint configs, always; and, only on the endpoints named in `endpoints`,
   * describe them, create them with a `kaizen-*` config, and update them to a `kaizen-*` config or back to
   * the config they served before (which the team may have named anything). A role created here also gets
   * those endpoints' log groups. Without `endpoints` a deploy to an endpoint fails with AccessDenied.
   */
  public grantHosting(
    stateMachine: StateMachine,
    taskResources: readonly string[],
    endpoints: DeployTargets | undefined,
  ): void {
    const stack = Stack.of(this);
    const arn = (resource: string, resourceName: string) =>
      stack.formatArn({ service: 'sagemaker', resource, resourceName });
    const nagArn = (resource: string, resourceName: string) =>
      `arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:${resource}/${resourceName}`;
    const policy = stateMachine.role.node.findChild('DefaultPolicy');
    const acknowledge = (resource: string, reason: string) =>
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    const uses = (resource: string) => taskResources.includes(resource);
    const kaizenConfigs = arn('endpoint-config', JOB_NAME_PATTERN);

    if (uses(SAGEMAKER_CREATE_MODEL)) {
      stateMachine.addToRolePolicy(
        new PolicyStatement({
          actions: ['sagemaker:CreateModel'],
          resources: [arn('model', JOB_NAME_PATTERN)],
        }),
      );
      this.grantPassRole(stateMachine);
      acknowledge(
        nagArn('model', JOB_NAME_PATTERN),
        'Model names are made per model, execution and version at run time; the kaizen- prefix limits the ' +
          "grant to the improvement loop's own models.",
      );
    }
    if (uses(SAGEMAKER_CREATE_ENDPOINT_CONFIG)) {
      stateMachine.addToRolePolicy(
        new PolicyStatement({ actions: ['sagemaker:CreateEndpointConfig'], resources: [kaizenConfigs] }),
      );
    }

    const byResource: [string, string][] = [
      [SAGEMAKER_DESCRIBE_ENDPOINT, 'sagemaker:DescribeEndpoint'],
      [SAGEMAKER_CREATE_ENDPOINT, 'sagemaker:CreateEndpoint'],
      [SAGEMAKER_UPDATE_ENDPOINT, 'sagemaker:UpdateEndpoint'],
    ];
    const endpointActions = byResource.filter(([resource]) => uses(resource)).map(([, action]) => action);
    const named = endpoints !== undefined && endpoints.length > 0 && endpointActions.length > 0;
    if (named) {
      const given = endpoints === '*' ? ['*'] : [...new Set(endpoints)];
      // SageMaker endpoint ARNs are lower-case whatever the case of the name.
      const names = [...new Set(given.map((name) => name.toLowerCase()))];
      stateMachine.addToRolePolicy(
        new PolicyStatement({
          actions: endpointActions,
          resources: names.map((name) => arn('endpoint', name)),
        }),
      );
      // CreateEndpoint and UpdateEndpoint are authorized on the endpoint config too.
      if (uses(SAGEMAKER_CREATE_ENDPOINT)) {
        stateMachine.addToRolePolicy(
          new PolicyStatement({ actions: ['sagemaker:CreateEndpoint'], resources: [kaizenConfigs] }),
        );
      }
      if (uses(SAGEMAKER_UPDATE_ENDPOINT)) {
        stateMachine.addToRolePolicy(
          new PolicyStatement({
            actions: ['sagemaker:UpdateEndpoint'],
            resources: [arn('endpoint-config', '*')],
          }),
        );
        acknowledge(
          nagArn('endpoint-config', '*'),
          'An undo or a rollback updates the endpoint back to the config it served before, which its team may ' +
            'have named anything; UpdateEndpoint is also authorized on the endpoint, limited to those named in ' +
            'kaizen:deployEndpoints.',
        );
      }
      if (endpoints === '*') {
        acknowledge(
          nagArn('endpoint', '*'),
          'kaizen:deployEndpoints is "*": the stack was deployed to let model policies name any SageMaker ' +
            'endpoint of this account and region as their target, so the endpoints are not known at deploy time.',
        );
      }
      this.grantEndpointLogs(given);
    }
    if (uses(SAGEMAKER_CREATE_ENDPOINT_CONFIG) || (named && uses(SAGEMAKER_CREATE_ENDPOINT))) {
      acknowledge(
        nagArn('endpoint-config', JOB_NAME_PATTERN),
        'Endpoint config names are made per model, execution and version at run time; the kaizen- prefix ' +
          "limits the grant to the improvement loop's own configs.",
      );
    }
  }

  /**
   * Lets a role created here write the logs of the endpoints' containers (an imported role is its owner's
   * business). `names` as given (a log group keeps the endpoint name's case), or `*`.
   */
  private grantEndpointLogs(names: readonly string[]): void {
    if (!(this.role instanceof Role)) return;
    const stack = Stack.of(this);
    const groups = names.flatMap((name) => {
      const group = stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: `${ENDPOINT_LOG_GROUP}/${name}`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      return [group, `${group}:*`];
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'logs:DescribeLogStreams',
        ],
        resources: groups,
      }),
    );
    const policy = this.role.node.findChild('DefaultPolicy');
    for (const name of names) {
      const group = `arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${ENDPOINT_LOG_GROUP}/${name}`;
      const streams = `SageMaker names one log stream per variant and instance at run time, in the log group of endpoint ${name}.`;
      if (name === '*') {
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${group}]`,
          reason:
            'kaizen:deployEndpoints is "*": any endpoint of this account and region may serve the models, each ' +
            `logging to its own group under ${ENDPOINT_LOG_GROUP}/.`,
        });
      }
      Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${group}:*]`, reason: streams });
    }
  }

  /** Lets `stateMachine` pass this role, to SageMaker only (jobs and models run as it). */
  private grantPassRole(stateMachine: StateMachine): void {
    if (this.passers.has(stateMachine)) return;
    this.passers.add(stateMachine);
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
  }
}

/** The logical id of a bucket defined in this app (cdk-nag renders its ARN as `<LogicalId.Arn>`). */
function bucketLogicalId(bucket: IBucket): string | undefined {
  const resource = bucket.node.defaultChild;
  if (!(resource instanceof CfnBucket)) return undefined;
  return Stack.of(resource).getLogicalId(resource);
}
