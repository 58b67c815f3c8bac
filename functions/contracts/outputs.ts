/** Output keys of the stack; the CLI reads them to find a deployed stack's resources. */
export const STACK_OUTPUTS = [
  'MetricsTableName',
  'RegistryTableName',
  'RunsTableName',
  'BucketName',
  'ImprovementLoopArn',
  'FleetSweepArn',
  'NotificationTopicArn',
  'EventBusName',
  'DashboardUrl',
  'ApiUrl',
] as const;

export type StackOutput = (typeof STACK_OUTPUTS)[number];
