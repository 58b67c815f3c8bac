/**
 * The Lambda-backed steps of the workflows. The CDK app builds one function per entry and passes
 * its ARN to the state machine as `placeholder`; the local engine maps the same placeholder to the
 * same handler module, so both engines run one definition.
 */
export const STEPS = {
  // 1,769 MB is one full vCPU; Monitor and the sweep may compute drift over datasets (1M x 50 peaks at ~1.2 GB).
  monitor: { entry: 'functions/monitor/handler.ts', placeholder: 'MonitorFunctionArn', memoryMb: 1769 },
  analyze: { entry: 'functions/analyze/handler.ts', placeholder: 'AnalyzeFunctionArn', memoryMb: 256 },
  train: { entry: 'functions/train/handler.ts', placeholder: 'TrainFunctionArn', memoryMb: 1769 },
  evaluate: { entry: 'functions/evaluate/handler.ts', placeholder: 'EvaluateFunctionArn', memoryMb: 1024 },
  deploy: { entry: 'functions/deploy/handler.ts', placeholder: 'DeployFunctionArn', memoryMb: 256 },
  verify: { entry: 'functions/verify/handler.ts', placeholder: 'VerifyFunctionArn', memoryMb: 256 },
  rollback: { entry: 'functions/rollback/handler.ts', placeholder: 'RollbackFunctionArn', memoryMb: 256 },
  record: { entry: 'functions/record/handler.ts', placeholder: 'RecordFunctionArn', memoryMb: 256 },
  sweep: { entry: 'functions/sweep/handler.ts', placeholder: 'SweepFunctionArn', memoryMb: 1769 },
} as const;

/** The DynamoDB Streams trigger: not a state-machine step, started by new KPI and drift records. */
export const TRIGGER = { entry: 'functions/trigger/handler.ts', memoryMb: 512 } as const;

export type StepName = keyof typeof STEPS;

/** Non-function placeholders in the state machine definitions. */
export const OTHER_PLACEHOLDERS = ['NotificationTopicArn'] as const;

/** The improvement loop definition (Standard workflow), relative to the project root. */
export const IMPROVEMENT_LOOP_ASL = 'statemachines/improvement-loop.asl.json';

/** The fleet sweep definition (Express workflow), relative to the project root. */
export const FLEET_SWEEP_ASL = 'statemachines/fleet-sweep.asl.json';
