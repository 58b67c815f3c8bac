import { randomBytes } from 'node:crypto';
import { executionName as nameFor } from '#domain/names.ts';

/** A unique, valid Step Functions execution name: kind, model, time and a random suffix (any id length). */
export function executionName(kind: string, modelId: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return nameFor(kind, modelId, stamp, randomBytes(3).toString('hex'));
}
