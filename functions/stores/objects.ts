import { HeadObjectCommand, NoSuchKey } from '@aws-sdk/client-s3';
import { InvalidInputError, ObjectNotFoundError } from '#contracts/errors.ts';
import type { KaizenContext } from '#runtime/context.ts';

/** What S3 says about an object without reading it. */
export interface ObjectInfo {
  key: string;
  etag: string;
  size: number;
}

/** `s3://<bucket>/<key>` of an object of the artifacts bucket. */
export function s3Uri(ctx: KaizenContext, key: string): string {
  return `s3://${ctx.config.bucket}/${key}`;
}

/** The key of an `s3://` URI of the artifacts bucket, or a bare key; other buckets are invalid input. */
export function keyOf(ctx: KaizenContext, uriOrKey: string, what: string): string {
  if (!uriOrKey.startsWith('s3://')) return uriOrKey;
  const prefix = `s3://${ctx.config.bucket}/`;
  if (!uriOrKey.startsWith(prefix)) {
    throw new InvalidInputError(`${what} ${uriOrKey} is not in the artifacts bucket ${ctx.config.bucket}`);
  }
  return uriOrKey.slice(prefix.length);
}

/** Whether an S3 error says the object is not there (GET answers NoSuchKey, HEAD a bare NotFound). */
export function isNotFound(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return error instanceof NoSuchKey || name === 'NoSuchKey' || name === 'NotFound';
}

/** Heads an object; a missing one is an {@link ObjectNotFoundError} that names it and `what` it is. */
export async function headObject(ctx: KaizenContext, key: string, what: string): Promise<ObjectInfo> {
  try {
    const head = await ctx.s3.send(new HeadObjectCommand({ Bucket: ctx.config.bucket, Key: key }));
    return { key, etag: (head.ETag ?? '').replaceAll('"', ''), size: head.ContentLength ?? 0 };
  } catch (error) {
    if (isNotFound(error)) {
      throw new ObjectNotFoundError(`${what}: ${s3Uri(ctx, key)} does not exist`);
    }
    throw error;
  }
}
