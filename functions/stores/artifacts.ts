import { createHash } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { ObjectNotFoundError } from '#contracts/errors.ts';
import type { KaizenContext } from '#runtime/context.ts';

export function sha256(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Reads an object of the artifacts bucket as UTF-8 text. */
export async function getText(ctx: KaizenContext, key: string): Promise<string> {
  const bucket = ctx.config.bucket;
  try {
    const output = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!output.Body) throw new ObjectNotFoundError(`s3://${bucket}/${key} has no body`);
    return await output.Body.transformToString('utf-8');
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') {
      throw new ObjectNotFoundError(`s3://${bucket}/${key} does not exist`);
    }
    throw error;
  }
}

/** Writes text to the artifacts bucket. */
export async function putText(
  ctx: KaizenContext,
  key: string,
  body: string,
  contentType = 'text/plain',
): Promise<void> {
  await putBytes(ctx, key, body, contentType);
}

/** Writes bytes (or text) to the artifacts bucket. */
export async function putBytes(
  ctx: KaizenContext,
  key: string,
  body: string | Uint8Array,
  contentType?: string,
): Promise<void> {
  const type = contentType ? { ContentType: contentType } : {};
  await ctx.s3.send(new PutObjectCommand({ Bucket: ctx.config.bucket, Key: key, Body: body, ...type }));
}

export async function putJson(ctx: KaizenContext, key: string, value: unknown): Promise<void> {
  await putText(ctx, key, JSON.stringify(value), 'application/json');
}
