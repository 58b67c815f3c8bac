/**
 * A small typed client of Kaizen Loop's HTTPS API for producers: signs requests with SigV4 (service
 * `execute-api`), splits rows into batches of at most 500, and retries throttling, server errors and network
 * failures with exponential backoff and full jitter (safe: the API stores every row once, so a retried batch is
 * `unchanged`). No dependency beyond the AWS credential chain and the SigV4 signer.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { IngestResponse, ModelStatus } from '../functions/domain/api.ts';

export type { IngestResponse, ModelStatus };

/** Rows one request carries at most (the API's limit). */
export const MAX_BATCH_ROWS = 500;

export interface KaizenClientOptions {
  /** The stack output `ApiUrl` (`https://<id>.execute-api.<region>.amazonaws.com/v1/`), or `kaizen serve`'s URL. */
  url: string;
  /** The API's region (SigV4 signs for it). @default the region in the URL, else AWS_REGION */
  region?: string;
  /**
   * How requests are authorized: `sigv4` (default; credentials from the AWS chain or `credentials`), a function
   * giving an `Authorization` header value (a Cognito ID token), or `none` (`kaizen serve` on loopback).
   */
  auth?: 'sigv4' | 'none' | (() => Promise<string>);
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Rows per request, at most 500. @default 500 */
  batchSize?: number;
  /** Tries per request, the first included. @default 5 */
  maxAttempts?: number;
  /** First backoff before a retry, doubled each time (full jitter). @default 200 */
  baseDelayMs?: number;
  fetch?: typeof fetch;
}

/** What `putObservations` did: the sums of every batch, rejected rows numbered across all the rows sent. */
export interface PutResult extends IngestResponse {
  /** HTTP status of each batch (201, 207, 422). */
  statuses: number[];
}

/** An answer of the API that is not a per-row result (400, 403, 413, 415, ...), or retries that ran out. */
export class KaizenApiError extends Error {
  override readonly name = 'KaizenApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** SHA-256 and HMAC-SHA-256 from node:crypto, in the shape the SigV4 signer takes. */
class Sha256 {
  private hash: Hash | Hmac;
  private readonly secret: string | Uint8Array | undefined;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret =
      secret === undefined || typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
          : new Uint8Array(secret);
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(
      typeof data === 'string'
        ? data
        : ArrayBuffer.isView(data)
          ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
          : new Uint8Array(data),
    );
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** A client of one deployment's API. */
export class KaizenClient {
  private readonly base: URL;
  private readonly signer: SignatureV4 | undefined;
  private readonly options: Required<Pick<KaizenClientOptions, 'batchSize' | 'maxAttempts' | 'baseDelayMs'>> &
    KaizenClientOptions;

  constructor(options: KaizenClientOptions) {
    this.base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    const batchSize = options.batchSize ?? MAX_BATCH_ROWS;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_ROWS) {
      throw new RangeError(`batchSize must be 1 to ${MAX_BATCH_ROWS}, got ${batchSize}`);
    }
    this.options = {
      ...options,
      batchSize,
      maxAttempts: options.maxAttempts ?? 5,
      baseDelayMs: options.baseDelayMs ?? 200,
    };
    if ((options.auth ?? 'sigv4') === 'sigv4') {
      const region =
        options.region ??
        /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(this.base.hostname)?.[1] ??
        process.env.AWS_REGION;
      if (!region) throw new Error('region is not set and the URL names none');
      this.signer = new SignatureV4({
        service: 'execute-api',
        region,
        credentials: options.credentials ?? defaultProvider(),
        sha256: Sha256,
      });
    }
  }

  /** Sends observation rows (as `kaizen ingest` takes them) in batches; rejected rows are results, not errors. */
  async putObservations(rows: readonly unknown[]): Promise<PutResult> {
    const total: PutResult = {
      stored: 0,
      unchanged: 0,
      duplicates: 0,
      rejected: [],
      unknownMetrics: [],
      statuses: [],
    };
    for (let offset = 0; offset < rows.length; offset += this.options.batchSize) {
      const batch = rows.slice(offset, offset + this.options.batchSize);
      const { status, body } = await this.request('POST', 'observations', { observations: batch });
      if (status !== 201 && status !== 207 && status !== 422) {
        throw new KaizenApiError(`POST observations: ${status} ${messageOf(body)}`, status, body);
      }
      const result = body as IngestResponse;
      total.stored += result.stored;
      total.unchanged += result.unchanged;
      total.duplicates += result.duplicates;
      total.rejected.push(...result.rejected.map((row) => ({ ...row, line: row.line + offset })));
      total.unknownMetrics.push(...result.unknownMetrics);
      total.statuses.push(status);
    }
    return total;
  }

  /** A model's state, champion and last decision; undefined for a model nobody registered. */
  async getModelStatus(modelId: string): Promise<ModelStatus | undefined> {
    const { status, body } = await this.request('GET', `models/${encodeURIComponent(modelId)}/status`);
    if (status === 404) return undefined;
    if (status !== 200) throw new KaizenApiError(`GET status: ${status} ${messageOf(body)}`, status, body);
    return body as ModelStatus;
  }

  private async request(
    method: string,
    path: string,
    payload?: unknown,
  ): Promise<{ status: number; body: unknown }> {
    const url = new URL(path, this.base);
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    for (let attempt = 1; ; attempt += 1) {
      let failure: string;
      try {
        const headers = await this.headers(method, url, body);
        const response = await (this.options.fetch ?? fetch)(url, {
          method,
          headers,
          ...(body ? { body } : {}),
        });
        const text = await response.text();
        const parsed = text ? (JSON.parse(text) as unknown) : undefined;
        if (!RETRYABLE.has(response.status)) return { status: response.status, body: parsed };
        failure = `${response.status} ${messageOf(parsed)}`;
        if (attempt >= this.options.maxAttempts)
          throw new KaizenApiError(`${method} ${path}: ${failure}`, response.status, parsed);
      } catch (error) {
        if (error instanceof KaizenApiError) throw error;
        failure = (error as Error).message;
        if (attempt >= this.options.maxAttempts) {
          throw new KaizenApiError(
            `${method} ${path}: ${failure} (after ${attempt} tries)`,
            undefined,
            undefined,
          );
        }
      }
      const ceiling = this.options.baseDelayMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }

  private async headers(method: string, url: URL, body: string | undefined): Promise<Record<string, string>> {
    const headers: Record<string, string> = { host: url.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const auth = this.options.auth ?? 'sigv4';
    if (typeof auth === 'function') return { ...headers, authorization: await auth() };
    if (!this.signer) return headers;
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    return signed.headers;
  }
}

function messageOf(body: unknown): string {
  return typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : '';
}
