import type { S3Event } from 'aws-lambda';
import { FUNCTIONS } from '#contracts/steps.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { lambdaContext } from '../lambda-context.ts';
import { PROJECT_ROOT } from '../root.ts';
import { importHandler, type StepHandler } from './lambda.ts';

/** One record of an S3 event notification, as the local S3 (s3rver) emits it: the key is not URL-encoded. */
export interface LocalS3Record {
  eventName: string;
  eventTime: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number } };
}

/** A key as S3 writes it into notifications: URL-encoded, `+` for spaces, slashes kept. */
export function notificationKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%2F', '/').replaceAll('%20', '+');
}

/**
 * The bucket's notification to the ingest function (`lib/ingestion.ts` configures it on AWS for objects created
 * under a prefix): its handler runs in-process, bound to `ctx`, on the event S3 would send (one record per
 * event, the key URL-encoded).
 */
export function s3NotificationTarget(ctx: KaizenContext): (record: LocalS3Record) => Promise<unknown> {
  const spec = FUNCTIONS.ingest;
  let handler: Promise<StepHandler> | undefined;
  return async (record) => {
    handler ??= importHandler(PROJECT_ROOT, spec.entry, ctx);
    const event = {
      Records: [
        {
          ...record,
          s3: { ...record.s3, object: { ...record.s3.object, key: notificationKey(record.s3.object.key) } },
        },
      ],
    } as unknown as S3Event;
    const context = lambdaContext({
      functionName: 'kaizen-ingest',
      memoryMb: spec.memoryMb,
      timeoutSeconds: spec.timeoutSeconds,
    });
    return (await handler)(event, context);
  };
}
