import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EVENT_SOURCE } from '#contracts/workflows.ts';
import type { EventPublisher } from '#runtime/context.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './lambda-context.ts';

/** Where the local event bus writes: one EventBridge event (as a rule's target receives it) per line. */
export const EVENTS_FILE = 'events.jsonl';

/** The local event bus: appends each event to `<home>/events.jsonl` in EventBridge's event shape. */
export function fileEventPublisher(home: string, clock: () => Date = () => new Date()): EventPublisher {
  return {
    async publish(detailType, detail) {
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': detailType,
        source: EVENT_SOURCE,
        account: LOCAL_ACCOUNT_ID,
        time: clock().toISOString(),
        region: LOCAL_REGION,
        resources: [],
        detail,
      };
      await mkdir(home, { recursive: true });
      await appendFile(join(home, EVENTS_FILE), `${JSON.stringify(event)}\n`);
    },
  };
}
