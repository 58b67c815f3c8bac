import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { BY_KIND_INDEX, METRICS_TTL_ATTRIBUTE, TABLE_KEYS, type TableName } from '#contracts/tables.ts';

/** Feature flag that makes S3 server access logging use a bucket policy instead of the legacy ACL. */
const ACCESS_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

export interface DataStoresProps {
  /**
   * What happens to the tables and buckets when they leave the stack. `DESTROY` deletes the tables;
   * a bucket that still holds objects makes the deletion fail (no auto-delete custom resource).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days a replaced (non-current) object version is kept in the artifacts bucket.
   * @default 90
   */
  readonly noncurrentVersionDays?: number;
}

/**
 * The state of Kaizen Loop: three DynamoDB tables (metrics, registry, runs) with the key schemas and
 * secondary indexes of `TABLE_KEYS` (shared with the local stack), and one versioned bucket for datasets and model artifacts with server access logs.
 *
 * Encryption: tables use the AWS-managed key (`aws/dynamodb`, auditable in CloudTrail, no key to
 * administer); buckets use SSE-S3, which S3 server access logging requires for its target bucket.
 */
export class DataStores extends Construct {
  /** KPI and drift observations per model; TTL on `expiresAt`; stream of new images for later triggers. */
  public readonly metricsTable: Table;
  /** Policies, model versions, aliases, alias history and locks per model. */
  public readonly registryTable: Table;
  /** The registry index that lists registered models in id order (the fleet sweep pages through it). */
  public readonly registryModelsIndex: string = BY_KIND_INDEX;
  /** One record per improvement-loop run, with its reasons. */
  public readonly runsTable: Table;
  /** Datasets and model artifacts. */
  public readonly bucket: Bucket;
  /** Target of the artifact bucket's server access logs. */
  public readonly accessLogsBucket: Bucket;

  constructor(scope: Construct, id: string, props: DataStoresProps = {}) {
    super(scope, id);
    // Must be set before the buckets exist: new buckets have ACLs disabled, so ACL-based log delivery fails.
    this.node.setContext(ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.metricsTable = this.table('MetricsTable', 'metrics', removalPolicy, {
      timeToLiveAttribute: METRICS_TTL_ATTRIBUTE,
      stream: StreamViewType.NEW_IMAGE,
    });
    this.registryTable = this.table('RegistryTable', 'registry', removalPolicy);
    if (!TABLE_KEYS.registry.indexes.some((index) => index.name === this.registryModelsIndex)) {
      throw new Error(
        `TABLE_KEYS.registry lacks the ${this.registryModelsIndex} index the fleet sweep queries`,
      );
    }
    this.runsTable = this.table('RunsTable', 'runs', removalPolicy);

    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    });

    this.bucket = new Bucket(this, 'ArtifactsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'artifacts/',
      lifecycleRules: [
        {
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          // Overwritten datasets keep their old bytes as non-current versions: lineage hashes name them, so
          // they stay a while, not forever. Each version's training-data snapshot is current and kept.
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays ?? 90),
        },
      ],
      removalPolicy,
    });
  }

  private table(
    id: string,
    name: TableName,
    removalPolicy: RemovalPolicy,
    extra: { timeToLiveAttribute?: string; stream?: StreamViewType } = {},
  ): Table {
    const keys = TABLE_KEYS[name];
    const table = new Table(this, id, {
      partitionKey: { name: keys.partitionKey, type: AttributeType.STRING },
      sortKey: { name: keys.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
      ...extra,
    });
    for (const index of keys.indexes) {
      table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    return table;
  }
}
