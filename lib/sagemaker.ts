import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  SAGEMAKER_CREATE_PROCESSING_JOB_SYNC,
  SAGEMAKER_CREATE_TRAINING_JOB_SYNC,
} from '#contracts/workflows.ts';

/** Every SageMaker job Kaizen Loop creates is named `kaizen-…` (the prepare step names them). */
const JOB_NAME_PATTERN = 'kaizen-*';

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
    stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
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
}

/** The logical id of a bucket defined in this app (cdk-nag renders its ARN as `<LogicalId.Arn>`). */
function bucketLogicalId(bucket: IBucket): string | undefined {
  const resource = bucket.node.defaultChild;
  if (!(resource instanceof CfnBucket)) return undefined;
  return Stack.of(resource).getLogicalId(resource);
}
