/** The improvement loop definition (Standard workflow), relative to the project root. */
export const IMPROVEMENT_LOOP_ASL = 'statemachines/improvement-loop.asl.json';

/** The fleet sweep definition (Express workflow), relative to the project root. */
export const FLEET_SWEEP_ASL = 'statemachines/fleet-sweep.asl.json';

/** Placeholders of the definitions that are not step functions (each engine supplies its own value). */
export const OTHER_PLACEHOLDERS = ['NotificationTopicArn'] as const;
export type OtherPlaceholder = (typeof OTHER_PLACEHOLDERS)[number];

/** Task resource of the Step Functions SNS integration (the loop's notifications). */
export const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
/** Task resource of the Step Functions integration that starts another execution (request-response). */
export const STATES_START_EXECUTION = 'arn:aws:states:::states:startExecution';

/** Task resource of the optimised Lambda integration (`{FunctionName, Payload}`). */
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
