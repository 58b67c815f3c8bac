import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { FUNCTIONS, type FunctionName } from '#contracts/steps.ts';
import { parseDuration } from '#domain/duration.ts';
import type { FunctionSettings, FunctionSettingsMap } from './access.ts';
import { type DeployTargets, LAMBDA_FUNCTION_ARN } from './deployment-targets.ts';
import type { KaizenStackProps } from './kaizen-stack.ts';

/** Reads an optional string context value; blank counts as absent. */
export function contextString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new Error(`${name} must be a string, got ${typeof value}`);
  return value.trim() === '' ? undefined : value.trim();
}

/**
 * The removal policy from the CDK context `kaizen:removalPolicy`: `retain` (the default: tables, buckets,
 * keys and logs outlive the stack) or `destroy` (sandboxes: deleted with the stack; a bucket that still holds
 * objects makes the deletion fail).
 */
export function removalPolicyFromContext(value: unknown): RemovalPolicy {
  const text = contextString(value, 'kaizen:removalPolicy') ?? 'retain';
  if (text === 'retain') return RemovalPolicy.RETAIN;
  if (text === 'destroy') return RemovalPolicy.DESTROY;
  throw new Error(`kaizen:removalPolicy must be "retain" or "destroy", got "${text}"`);
}

/** Lambda's limits: memory 128-10,240 MB, timeout 1-900 s. */
const LIMITS = {
  memory: { min: 128, max: 10_240, unit: 'MB' },
  timeout: { min: 1, max: 900, unit: 'seconds' },
} as const;

/** A whole number within `kind`'s Lambda limits, from a context value (`-c` gives strings, cdk.json numbers). */
function contextInteger(value: unknown, name: string, kind: keyof typeof LIMITS): number | undefined {
  const text = typeof value === 'number' ? String(value) : contextString(value, name);
  if (text === undefined) return undefined;
  const number = Number(text);
  const { min, max, unit } = LIMITS[kind];
  if (!Number.isInteger(number) || number < min || number > max)
    throw new Error(`${name} must be a whole number of ${unit} from ${min} to ${max}, got "${text}"`);
  return number;
}

/**
 * Memory and timeout per function from the CDK context: `kaizen:memory:<name>` (MB) and
 * `kaizen:timeout:<name>` (seconds), e.g. `cdk deploy -c kaizen:memory:train=3008 -c kaizen:timeout:train=900`.
 * Unset keys keep the step registry's defaults; a context key naming no function is an error.
 */
export function functionSettingsFromContext(context: Record<string, unknown>): FunctionSettingsMap {
  const settings: Partial<Record<FunctionName, FunctionSettings>> = {};
  for (const [key, value] of Object.entries(context)) {
    const match = /^kaizen:(memory|timeout):(.*)$/.exec(key);
    if (!match) continue;
    const [, kind, name] = match as unknown as [string, 'memory' | 'timeout', string];
    if (!(name in FUNCTIONS))
      throw new Error(`${key}: no function "${name}" (functions: ${Object.keys(FUNCTIONS).join(', ')})`);
    const number = contextInteger(value, key, kind);
    if (number === undefined) continue;
    const setting = kind === 'memory' ? { memoryMb: number } : { timeout: Duration.seconds(number) };
    settings[name as FunctionName] = { ...settings[name as FunctionName], ...setting };
  }
  return settings;
}

/** An IAM role ARN in any partition: `arn:aws:iam::123456789012:role/name` or `.../role/path/name`. */
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/**
 * The SageMaker execution role from the CDK context `kaizen:sagemakerRoleArn`: an existing role's ARN, which
 * the stack then passes to SageMaker instead of creating one; undefined when unset.
 */
export function sagemakerRoleArnFromContext(value: unknown): string | undefined {
  const name = 'kaizen:sagemakerRoleArn';
  const text = contextString(value, name);
  if (text === undefined) return undefined;
  if (!ROLE_ARN.test(text)) {
    throw new Error(
      `${name} must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>), got "${text}"`,
    );
  }
  return text;
}

/**
 * A list of names from the context: a comma-separated string (`-c key=a,b`) or, from cdk.json, an array of
 * strings; `*` alone means any. Undefined when unset or blank. Every name must match `valid` (`shape` says
 * what it should be in the error).
 */
function deployTargets(
  value: unknown,
  name: string,
  valid: (item: string) => boolean,
  shape: string,
): DeployTargets | undefined {
  let items: string[];
  if (Array.isArray(value)) {
    items = value.map((item) => {
      if (typeof item !== 'string') throw new Error(`${name} must list strings, got ${JSON.stringify(item)}`);
      return item.trim();
    });
  } else {
    const text = contextString(value, name);
    if (text === undefined) return undefined;
    items = text.split(',').map((item) => item.trim());
  }
  if (items.length === 0) return undefined;
  if (items.includes('*')) {
    if (items.length > 1)
      throw new Error(`${name}: "*" (any) cannot be combined with names, got "${items.join(',')}"`);
    return '*';
  }
  const bad = items.filter((item) => !valid(item));
  if (bad.length > 0) {
    throw new Error(
      `${name} must be "*" or comma-separated ${shape}; not valid: ${bad.map((item) => `"${item}"`).join(', ')}`,
    );
  }
  return [...new Set(items)];
}

/** A SageMaker endpoint name: letters, digits and single or repeated hyphens inside, at most 63 characters. */
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * The SageMaker endpoints the improvement loop may deploy to, from the CDK context `kaizen:deployEndpoints`:
 * comma-separated endpoint names, or `*` for any endpoint of the account and region; undefined when unset (no
 * endpoint may be deployed to).
 */
export function deployEndpointsFromContext(value: unknown): DeployTargets | undefined {
  return deployTargets(
    value,
    'kaizen:deployEndpoints',
    (item) => ENDPOINT_NAME.test(item),
    'SageMaker endpoint names (letters, digits and hyphens, at most 63)',
  );
}

/** A Lambda function name (`LAMBDA_FUNCTION_ARN` covers the ARN form). */
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * The Lambda functions the improvement loop may deploy to, from the CDK context `kaizen:deployFunctions`:
 * comma-separated function names or unqualified function ARNs, or `*` for any function of the account and
 * region; undefined when unset (no function may be deployed to).
 */
export function deployFunctionsFromContext(value: unknown): DeployTargets | undefined {
  return deployTargets(
    value,
    'kaizen:deployFunctions',
    (item) => FUNCTION_NAME.test(item) || LAMBDA_FUNCTION_ARN.test(item),
    'Lambda function names or unqualified function ARNs (arn:aws:lambda:<region>:<account>:function:<name>)',
  );
}

/**
 * The monitoring settings of the CDK context: `kaizen:dashboard` (`true` or `false`) and
 * `kaizen:sweepInterval` (an ISO-8601 duration of whole minutes, for `cron(...)` schedules).
 */
export function monitoringFromContext(
  dashboard: unknown,
  sweepInterval: unknown,
): KaizenStackProps['monitoring'] {
  const flag =
    typeof dashboard === 'boolean' ? String(dashboard) : contextString(dashboard, 'kaizen:dashboard');
  if (flag !== undefined && flag !== 'true' && flag !== 'false')
    throw new Error(`kaizen:dashboard must be "true" or "false", got "${flag}"`);
  const interval = contextString(sweepInterval, 'kaizen:sweepInterval');
  const seconds = interval === undefined ? undefined : parseDuration(interval);
  if (interval !== undefined && (seconds === undefined || seconds < 60 || seconds % 60 !== 0))
    throw new Error(
      `kaizen:sweepInterval must be an ISO-8601 duration of whole minutes such as PT1H, got "${interval}"`,
    );
  return {
    ...(flag !== undefined ? { dashboard: flag === 'true' } : {}),
    ...(seconds !== undefined ? { sweepInterval: Duration.seconds(seconds) } : {}),
  };
}
