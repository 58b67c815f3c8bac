import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ObjectNotFoundError } from '#contracts/errors.ts';
import type { KaizenContext } from '#runtime/context.ts';
import { isNotFound } from './objects.ts';

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
    if (isNotFound(error)) {
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

/** An object of the artifacts bucket being read as a stream of byte chunks. */
export interface ObjectStream {
  body: AsyncIterable<Uint8Array>;
  /** The version read, to pin a later copy of it (`copyObject`'s `ifMatch`). */
  etag: string | undefined;
  /** Its size in bytes, when S3 says. */
  size: number | undefined;
}

/** Opens an object of the artifacts bucket as a stream of byte chunks; nothing is held in memory. */
export async function getStream(ctx: KaizenContext, key: string): Promise<ObjectStream> {
  const bucket = ctx.config.bucket;
  try {
    const output = await ctx.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!output.Body) throw new ObjectNotFoundError(`s3://${bucket}/${key} has no body`);
    return { body: output.Body as AsyncIterable<Uint8Array>, etag: output.ETag, size: output.ContentLength };
  } catch (error) {
    if (isNotFound(error)) {
      throw new ObjectNotFoundError(`s3://${bucket}/${key} does not exist`);
    }
    throw error;
  }
}

/**
 * Copies an object within the artifacts bucket on the server side (no bytes pass through here), with a new
 * content type; `ifMatch` (an ETag) makes the copy fail if the source changed since it was read.
 */
export async function copyObject(
  ctx: KaizenContext,
  from: string,
  to: string,
  options: { contentType?: string; ifMatch?: string | undefined } = {},
): Promise<void> {
  const bucket = ctx.config.bucket;
  const source = `${bucket}/${from.split('/').map(encodeURIComponent).join('/')}`;
  await ctx.s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: to,
      CopySource: source,
      ...(options.ifMatch ? { CopySourceIfMatch: options.ifMatch } : {}),
      ...(options.contentType ? { MetadataDirective: 'REPLACE', ContentType: options.contentType } : {}),
    }),
  );
}

/** Part size of streamed uploads: S3 needs at least 5 MiB for every part but the last. */
export const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/** An object written piece by piece; it exists only once `complete()` resolved. */
export interface ObjectWriter {
  /** Adds text (UTF-8) or bytes; resolves once the writer may take more (at most two parts are held). */
  write(chunk: string | Uint8Array): Promise<void>;
  /** Writes what is left and makes the object visible. */
  complete(): Promise<void>;
  /** Drops what was written; the object is not created (best effort: the bucket's lifecycle rule cleans up). */
  abort(): Promise<void>;
  /** Bytes written so far. */
  readonly bytes: number;
}

/**
 * A streamed upload to the artifacts bucket: the bytes are cut into parts of {@link UPLOAD_PART_BYTES} and
 * sent as a multipart upload while writing goes on (one part in flight); an object smaller than one part is
 * a single PutObject at `complete()`. Memory: at most two parts.
 */
export function createObjectWriter(ctx: KaizenContext, key: string, contentType?: string): ObjectWriter {
  const bucket = ctx.config.bucket;
  const type = contentType ? { ContentType: contentType } : {};
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let total = 0;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  let inFlight: Promise<void> | undefined;
  let finished = false;

  const take = (): Buffer => {
    const body = Buffer.concat(held, heldBytes);
    held = [];
    heldBytes = 0;
    return body;
  };
  const sendPart = async (body: Buffer): Promise<void> => {
    if (inFlight) await inFlight;
    uploadId ??= (await ctx.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...type })))
      .UploadId;
    const PartNumber = parts.length + 1;
    const slot: CompletedPart = { PartNumber };
    parts.push(slot);
    inFlight = ctx.s3
      .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body }))
      .then((output) => {
        // The part's checksum, when the client sent one, must come back in the completion.
        const { ETag, ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA1, ChecksumSHA256 } =
          output;
        Object.assign(slot, {
          ETag,
          ...(ChecksumCRC32 ? { ChecksumCRC32 } : {}),
          ...(ChecksumCRC32C ? { ChecksumCRC32C } : {}),
          ...(ChecksumCRC64NVME ? { ChecksumCRC64NVME } : {}),
          ...(ChecksumSHA1 ? { ChecksumSHA1 } : {}),
          ...(ChecksumSHA256 ? { ChecksumSHA256 } : {}),
        });
      });
    // A failed part surfaces at the next write or at complete(); keep it from being an unhandled rejection.
    inFlight.catch(() => {});
  };
  return {
    get bytes() {
      return total;
    },
    async write(chunk) {
      if (finished) throw new Error(`s3://${bucket}/${key}: write after complete or abort`);
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      held.push(bytes);
      heldBytes += bytes.byteLength;
      total += bytes.byteLength;
      if (heldBytes >= UPLOAD_PART_BYTES) await sendPart(take());
    },
    async complete() {
      if (finished) throw new Error(`s3://${bucket}/${key}: already completed or aborted`);
      if (uploadId === undefined && inFlight === undefined) {
        finished = true;
        await ctx.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: take(), ...type }));
        return;
      }
      if (heldBytes > 0) await sendPart(take());
      await inFlight;
      finished = true;
      await ctx.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    },
    async abort() {
      if (finished) return;
      finished = true;
      held = [];
      heldBytes = 0;
      await inFlight?.catch(() => {});
      if (uploadId === undefined) return;
      await ctx.s3
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch(() => {});
    },
  };
}

/** Deletes an object of the artifacts bucket (in the versioned bucket: a delete marker over its versions). */
export async function deleteObject(ctx: KaizenContext, key: string): Promise<void> {
  await ctx.s3.send(new DeleteObjectCommand({ Bucket: ctx.config.bucket, Key: key }));
}
