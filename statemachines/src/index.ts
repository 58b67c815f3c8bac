import { FLEET_SWEEP_ASL, IMPROVEMENT_LOOP_ASL } from '#contracts/workflows.ts';
import { fleetSweep } from './fleet-sweep.ts';
import { improvementLoop } from './improvement-loop.ts';
import type { Definition } from './states.ts';

/** Each committed definition file (relative to the project root) and the builder output it must equal. */
export const DEFINITIONS: Readonly<Record<string, Definition>> = {
  [IMPROVEMENT_LOOP_ASL]: improvementLoop,
  [FLEET_SWEEP_ASL]: fleetSweep,
};
