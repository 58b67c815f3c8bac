import { durationSeconds } from '#domain/duration.ts';
import { sageMakerJobName } from '#domain/names.ts';
import type { DeploymentPolicy, ModelPolicy } from '#domain/policy.ts';
import type { Candidate, RunContext } from '#domain/run.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { s3Uri } from '#stores/objects.ts';

type EndpointTarget = Extract<DeploymentPolicy, { target: 'sagemaker-endpoint' }>;
type LambdaTarget = Extract<DeploymentPolicy, { target: 'lambda-alias' }>;

/** The SageMaker hosting requests of one deploy (without the role, which the state machine adds). */
export interface HostingPlan {
  model: {
    ModelName: string;
    PrimaryContainer: { Image: string; ModelDataUrl: string; Environment: Record<string, string> };
  };
  config: {
    EndpointConfigName: string;
    ProductionVariants: {
      VariantName: string;
      ModelName: string;
      InitialInstanceCount: number;
      InstanceType: string;
      InitialVariantWeight: number;
    }[];
  };
  endpoint: { EndpointName: string; EndpointConfigName: string; DeploymentConfig: Record<string, unknown> };
  /** For the poll loop's Wait while the endpoint creates or updates. */
  pollSeconds: number;
}

/** SageMaker's blue/green update of the endpoint to the new config, with the policy's traffic shifting and alarms. */
function deploymentConfig(target: EndpointTarget): Record<string, unknown> {
  const { type, percent, wait } = target.routing;
  const size = { Type: 'CAPACITY_PERCENT', Value: percent };
  return {
    BlueGreenUpdatePolicy: {
      TrafficRoutingConfiguration: {
        Type: type,
        WaitIntervalInSeconds: durationSeconds(wait),
        ...(type === 'CANARY' ? { CanarySize: size } : {}),
        ...(type === 'LINEAR' ? { LinearStepSize: size } : {}),
      },
    },
    ...(target.alarms.length > 0
      ? { AutoRollbackConfiguration: { Alarms: target.alarms.map((AlarmName) => ({ AlarmName })) } }
      : {}),
  };
}

/** The SageMaker Model and EndpointConfig of the candidate, and the endpoint update that serves it. */
export function hostingPlan(
  ctx: KaizenContext,
  target: EndpointTarget,
  run: RunContext,
  candidate: Candidate,
): HostingPlan {
  const scope = `${ctx.config.bucket}/${run.executionName}/v${candidate.version}`;
  const ModelName = sageMakerJobName('model', run.modelId, scope);
  const EndpointConfigName = sageMakerJobName('config', run.modelId, scope);
  return {
    model: {
      ModelName,
      PrimaryContainer: {
        Image: target.image,
        ModelDataUrl: s3Uri(ctx, candidate.artifactKey),
        Environment: { ...target.environment, KAIZEN_MODEL_VERSION: String(candidate.version) },
      },
    },
    config: {
      EndpointConfigName,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName,
          InitialInstanceCount: target.instanceCount,
          InstanceType: target.instanceType,
          InitialVariantWeight: 1,
        },
      ],
    },
    endpoint: {
      EndpointName: target.endpointName,
      EndpointConfigName,
      DeploymentConfig: deploymentConfig(target),
    },
    pollSeconds: durationSeconds(target.pollInterval),
  };
}

/** The function's configuration as Lambda's GetFunctionConfiguration answers (the fields read here). */
export interface FunctionConfiguration {
  Environment?: { Variables?: Record<string, string> };
}

/** The new environment of the team's function: its own variables, and the model to load. */
export function lambdaPlan(
  ctx: KaizenContext,
  target: LambdaTarget,
  run: RunContext,
  candidate: Candidate,
  before: FunctionConfiguration,
): { variables: Record<string, string>; description: string } {
  return {
    variables: {
      ...(before.Environment?.Variables ?? {}),
      [target.artifactVariable]: s3Uri(ctx, candidate.artifactKey),
      KAIZEN_MODEL_VERSION: String(candidate.version),
    },
    description: `Kaizen Loop: ${run.modelId} v${candidate.version} (${run.executionName})`.slice(0, 256),
  };
}

/** One traffic stage of the `lambda-alias` target: the alias routing that gives the candidate its share. */
export interface TrafficStage {
  index: number;
  percent: number;
  /** The last stage points the alias at the candidate with no routing left. */
  last: boolean;
  alias: {
    FunctionVersion: string;
    RoutingConfig: { AdditionalVersionWeights: Record<string, number> };
  };
}

/** The stage after `previous` (the first when there is none). */
export function nextStage(
  policy: Pick<ModelPolicy, 'rollout'>,
  versions: { serving: string; candidate: string },
  previous: Pick<TrafficStage, 'index'> | undefined,
): TrafficStage {
  const stages = policy.rollout.stages;
  const index = Math.min((previous?.index ?? -1) + 1, stages.length - 1);
  const percent = stages[index] as number;
  const last = index === stages.length - 1;
  return {
    index,
    percent,
    last,
    alias: last
      ? { FunctionVersion: versions.candidate, RoutingConfig: { AdditionalVersionWeights: {} } }
      : {
          FunctionVersion: versions.serving,
          RoutingConfig: {
            AdditionalVersionWeights: { [versions.candidate]: Math.round(percent * 100) / 10_000 },
          },
        },
  };
}
