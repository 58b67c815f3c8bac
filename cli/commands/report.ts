import type { Command } from 'commander';
import type { Io } from '../io.ts';

/** Registers `kaizen report`. */
export function registerReportCommand(_program: Command, _io: Io): void {}
