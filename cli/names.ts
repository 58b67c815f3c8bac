import { randomBytes } from 'node:crypto';

/** A unique, valid Step Functions execution name. */
export function executionName(kind: string, modelId: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return `${kind}-${modelId}-${stamp}-${randomBytes(3).toString('hex')}`.slice(0, 80);
}
