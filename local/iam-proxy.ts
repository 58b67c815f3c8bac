import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './lambda-context.ts';

/**
 * A loopback proxy in front of the local DynamoDB (dynalite) and S3 (s3rver), with a recording stand-in for
 * Step Functions' `StartExecution`, that enforces one IAM identity policy the way AWS evaluates it for the
 * calls Kaizen Loop makes: a function's code run behind it gets AccessDenied wherever its role has no grant.
 */

/** One statement of an identity policy, with resources already resolved to ARNs (`*` and `?` wildcards). */
export interface PolicyStatement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** One authorization decision the proxy made. */
export interface AuthorizedCall {
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
}

/** A request the proxy refused. `reason` says why when it is not a plain missing grant. */
export interface Denial {
  readonly action: string;
  readonly resource: string;
  readonly reason?: string;
}

/** ARN of a local DynamoDB table. */
export function localTableArn(table: string): string {
  return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:table/${table}`;
}

/** ARN of a local S3 bucket, or of `key` in it. */
export function localBucketArn(bucket: string, key?: string): string {
  return key === undefined ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
}

function wildcard(pattern: string, flags: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, flags);
}

function matches(statement: PolicyStatement, action: string, resource: string): boolean {
  // IAM compares actions case-insensitively and resources case-sensitively.
  return (
    statement.actions.some((pattern) => wildcard(pattern, 'i').test(action)) &&
    statement.resources.some((pattern) => wildcard(pattern, '').test(resource))
  );
}

/** IAM's evaluation of one identity policy: an explicit Deny wins, then any Allow, else implicitly denied. */
export function isAllowed(statements: readonly PolicyStatement[], action: string, resource: string): boolean {
  const applicable = statements.filter((statement) => matches(statement, action, resource));
  return (
    !applicable.some((statement) => statement.effect === 'Deny') &&
    applicable.some((statement) => statement.effect === 'Allow')
  );
}

/** An execution started through the proxy's `StartExecution`. */
export interface StartedExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  readonly executionArn: string;
}

/**
 * A stand-in for Step Functions' `StartExecution`, shared by the proxies of all functions: it records the
 * executions instead of running them (the caller runs them with the local engine) and answers a second
 * start of the same name as Standard workflows do (same input: the same execution; other input:
 * `ExecutionAlreadyExists`).
 */
export class RecordedExecutions {
  readonly started: StartedExecution[] = [];
  private readonly all = new Map<string, StartedExecution>();

  /** @param stateMachines ARNs of the state machines that exist. */
  constructor(private readonly stateMachines: readonly string[]) {}

  /** The executions started since the last call, oldest first. */
  take(): StartedExecution[] {
    return this.started.splice(0);
  }

  start(stateMachineArn: string, name: string, input: string): StartedExecution {
    if (!this.stateMachines.includes(stateMachineArn)) {
      throw Object.assign(new Error(`State Machine Does Not Exist: '${stateMachineArn}'`), {
        type: 'StateMachineDoesNotExist',
      });
    }
    const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const parsed: unknown = JSON.parse(input);
    const known = this.all.get(executionArn);
    if (known) {
      if (JSON.stringify(known.input) === JSON.stringify(parsed)) return known;
      throw Object.assign(new Error(`Execution Already Exists: '${executionArn}'`), {
        type: 'ExecutionAlreadyExists',
      });
    }
    const execution = { stateMachineArn, name, input: parsed, executionArn };
    this.all.set(executionArn, execution);
    this.started.push(execution);
    return execution;
  }
}

export interface IamProxyOptions {
  /** The identity making the calls, named in AccessDenied messages (an assumed-role ARN). */
  principal: string;
  /** Its identity policy; replace it on the proxy (`statements`) to test a reduced role. */
  statements: readonly PolicyStatement[];
  /** The servers allowed calls go to. */
  upstream: { readonly dynamodb: string; readonly s3: string };
  /** Where `StartExecution` calls go. @default every state machine is unknown */
  executions?: RecordedExecutions;
}

export interface IamProxy {
  /** The proxy's URL; point `AWS_ENDPOINT_URL_DYNAMODB`, `AWS_ENDPOINT_URL_S3` and `AWS_ENDPOINT_URL_SFN` at it. */
  readonly endpoint: string;
  /** The identity policy enforced from now on. */
  statements: readonly PolicyStatement[];
  /** Every decision, in order. */
  readonly calls: AuthorizedCall[];
  /** Every refused request, in order. */
  readonly denials: Denial[];
  /** The events `PutEvents` accepted (the proxy is the bus: nothing is forwarded). */
  readonly events: { EventBusName?: string; Source?: string; DetailType?: string; Detail?: string }[];
  close(): Promise<void>;
}

/** Headers a proxy does not pass on: hop-by-hop, and `expect`, which this proxy has already answered. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'expect', 'transfer-encoding', 'upgrade']);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Which service a request is for: the JSON target of DynamoDB, Step Functions and EventBridge, otherwise S3. */
function serviceOf(headers: IncomingHttpHeaders): 'dynamodb' | 'states' | 'events' | 's3' {
  const target = String(headers['x-amz-target'] ?? '');
  if (target.startsWith('DynamoDB_')) return 'dynamodb';
  if (target.startsWith('AWSStepFunctions.')) return 'states';
  if (target.startsWith('AWSEvents.')) return 'events';
  return 's3';
}

/** ARN of an event bus by name (or ARN) as the proxy authorizes it. */
export function localEventBusArn(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:')
    ? nameOrArn
    : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${nameOrArn}`;
}

type Check = { action: string; resource: string };

/** The authorizations one DynamoDB request needs. */
function dynamoChecks(operation: string, body: Record<string, unknown>): Check[] {
  const tableResource = (table: string, index?: unknown) => {
    const arn = table.startsWith('arn:') ? table : localTableArn(table);
    return typeof index === 'string' ? `${arn}/index/${index}` : arn;
  };
  if (operation === 'BatchGetItem' || operation === 'BatchWriteItem') {
    const tables = Object.keys((body.RequestItems ?? {}) as Record<string, unknown>);
    return tables.map((table) => ({ action: `dynamodb:${operation}`, resource: tableResource(table) }));
  }
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    // Transactions are authorized per item, on the item-level action of each.
    const items = (body.TransactItems ?? []) as Record<string, { TableName: string }>[];
    const actions: Record<string, string> = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
      Get: 'GetItem',
    };
    return items.flatMap((item) =>
      Object.entries(item).map(([kind, spec]) => ({
        action: `dynamodb:${actions[kind] ?? kind}`,
        resource: tableResource(spec.TableName),
      })),
    );
  }
  if (typeof body.TableName === 'string') {
    return [{ action: `dynamodb:${operation}`, resource: tableResource(body.TableName, body.IndexName) }];
  }
  // ListTables and other account-level calls.
  return [{ action: `dynamodb:${operation}`, resource: localTableArn('*') }];
}

interface S3Request {
  checks: Check[];
  /** A read of one object: AWS answers a missing key with AccessDenied unless `s3:ListBucket` is allowed. */
  objectRead?: { bucket: string };
}

/** The authorizations one path-style S3 request needs; undefined for a request this proxy cannot judge. */
function s3Request(method: string, url: URL, headers: IncomingHttpHeaders): S3Request | undefined {
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const key = rest.map((segment) => decodeURIComponent(segment)).join('/');
  const query = new URLSearchParams(url.searchParams);
  // The SDK names the operation in `x-id` (GetObject, PutObject, ...); it changes nothing for S3.
  query.delete('x-id');
  if (!bucket) return undefined;
  const object = (action: string): Check => ({ action, resource: localBucketArn(bucket, key) });
  const ofBucket = (action: string): Check => ({ action, resource: localBucketArn(bucket) });
  if (!key) {
    if ((method === 'GET' || method === 'HEAD') && query.size === 0)
      return { checks: [ofBucket('s3:ListBucket')] };
    if (method === 'GET' && query.has('list-type')) return { checks: [ofBucket('s3:ListBucket')] };
    if (method === 'GET' && query.has('location')) return { checks: [ofBucket('s3:GetBucketLocation')] };
    if (method === 'GET' && query.has('versions')) return { checks: [ofBucket('s3:ListBucketVersions')] };
    return undefined;
  }
  if (method === 'GET' || method === 'HEAD') {
    if (query.has('uploadId')) return { checks: [object('s3:ListMultipartUploadParts')] };
    if (query.size > 0 && !query.has('versionId') && !query.has('partNumber')) return undefined;
    return {
      checks: [object(query.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject')],
      objectRead: { bucket },
    };
  }
  if (method === 'PUT' || method === 'POST') {
    if (query.has('tagging') || query.has('acl') || query.has('retention') || query.has('legal-hold'))
      return undefined;
    // Uploads, parts, and multipart create/complete are all s3:PutObject; a copy also reads its source.
    const checks = [object('s3:PutObject')];
    const source = headers['x-amz-copy-source'];
    if (typeof source === 'string') {
      const path = decodeURIComponent(source.split('?')[0] ?? '').replace(/^\//, '');
      checks.push({ action: 's3:GetObject', resource: `arn:aws:s3:::${path}` });
    }
    return { checks };
  }
  if (method === 'DELETE') {
    return { checks: [object(query.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject')] };
  }
  return undefined;
}

/**
 * Starts the proxy on a loopback port. DynamoDB requests are authorized on `dynamodb:<Operation>` and the
 * table (or `<table>/index/<name>`) of the body, every table of a batch; S3 (path-style) on the object or
 * bucket action of the method; `StartExecution` on `states:StartExecution` and the state machine. Allowed
 * requests are forwarded unchanged (the Host header too, which SigV4 signs) and their responses streamed
 * back; denied ones are answered as AWS answers them and recorded in `denials`. A read of a missing key
 * without `s3:ListBucket` becomes 403 AccessDenied, as on AWS.
 */
export async function startIamProxy(options: IamProxyOptions): Promise<IamProxy> {
  const agent = new Agent({ keepAlive: true });
  const calls: AuthorizedCall[] = [];
  const denials: Denial[] = [];
  const executions = options.executions ?? new RecordedExecutions([]);
  let statements = options.statements;

  const authorize = (checks: readonly Check[]): Check | undefined => {
    for (const check of checks) {
      const allowed = isAllowed(statements, check.action, check.resource);
      calls.push({ ...check, allowed });
      if (!allowed) {
        denials.push(check);
        return check;
      }
    }
    return undefined;
  };
  const notAuthorized = ({ action, resource }: Check) =>
    `User: ${options.principal} is not authorized to perform: ${action} on resource: ${resource} ` +
    `because no identity-based policy allows the ${action} action`;

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  };
  const s3Error = (res: ServerResponse, method: string, status: number, code: string, message: string) => {
    const requestId = randomUUID();
    const text =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<Error><Code>${code}</Code><Message>${message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message>` +
      `<RequestId>${requestId}</RequestId><HostId>local</HostId></Error>`;
    // HEAD responses have no body; the SDK names the error from the status alone.
    res.writeHead(status, {
      'content-type': 'application/xml',
      'content-length': method === 'HEAD' ? 0 : Buffer.byteLength(text),
      'x-amz-request-id': requestId,
    });
    res.end(method === 'HEAD' ? undefined : text);
  };

  /** Forwards the request to `upstream`; `body` when already read, else the request is streamed. */
  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    upstream: string,
    body: Buffer | undefined,
    onResponse?: (response: IncomingMessage) => boolean,
  ) => {
    const target = new URL(upstream);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())),
    );
    const outgoing = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
      },
      (response) => {
        if (onResponse?.(response)) {
          response.resume();
          return;
        }
        const passed = Object.fromEntries(
          Object.entries(response.headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())),
        );
        res.writeHead(response.statusCode ?? 502, passed);
        response.pipe(res);
      },
    );
    outgoing.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`iam proxy: ${upstream}: ${error.message}`);
    });
    if (body) outgoing.end(body);
    else req.pipe(outgoing);
  };

  const handleDynamo = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target']).split('.')[1] ?? '';
    const denied = authorize(dynamoChecks(operation, JSON.parse(body.toString('utf8') || '{}')));
    if (denied) {
      json(res, 400, {
        __type: 'com.amazon.coral.service#AccessDeniedException',
        message: notAuthorized(denied),
      });
      return;
    }
    forward(req, res, options.upstream.dynamodb, body);
  };

  const handleStates = async (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as {
      stateMachineArn?: string;
      name?: string;
      input?: string;
    };
    const operation = String(req.headers['x-amz-target']).split('.')[1] ?? '';
    if (operation !== 'StartExecution') {
      json(res, 400, { __type: 'UnknownOperationException', message: `${operation} is not emulated` });
      denials.push({ action: `states:${operation}`, resource: '*', reason: 'not emulated by the proxy' });
      return;
    }
    const stateMachineArn = body.stateMachineArn ?? '';
    const denied = authorize([{ action: 'states:StartExecution', resource: stateMachineArn }]);
    if (denied) {
      json(res, 400, { __type: 'AccessDeniedException', message: notAuthorized(denied) });
      return;
    }
    try {
      const execution = executions.start(stateMachineArn, body.name ?? randomUUID(), body.input ?? '{}');
      json(res, 200, { executionArn: execution.executionArn, startDate: Date.now() / 1000 });
    } catch (error) {
      json(res, 400, { __type: (error as { type?: string }).type, message: (error as Error).message });
    }
  };

  const events: IamProxy['events'] = [];
  const handleEvents = async (req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.parse((await readBody(req)).toString('utf8') || '{}') as {
      Entries?: IamProxy['events'];
    };
    const operation = String(req.headers['x-amz-target']).split('.')[1] ?? '';
    if (operation !== 'PutEvents') {
      json(res, 400, { __type: 'UnknownOperationException', message: `${operation} is not emulated` });
      denials.push({ action: `events:${operation}`, resource: '*', reason: 'not emulated by the proxy' });
      return;
    }
    const entries = body.Entries ?? [];
    const denied = authorize(
      entries.map((entry) => ({
        action: 'events:PutEvents',
        resource: localEventBusArn(entry.EventBusName ?? 'default'),
      })),
    );
    if (denied) {
      json(res, 400, { __type: 'AccessDeniedException', message: notAuthorized(denied) });
      return;
    }
    events.push(...entries);
    json(res, 200, { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) });
  };

  const handleS3 = (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://proxy');
    const judged = s3Request(method, url, req.headers);
    if (!judged) {
      denials.push({
        action: `s3:${method} ${url.pathname}${url.search}`,
        resource: '*',
        reason: 'not emulated by the proxy',
      });
      req.resume();
      req.on('end', () => s3Error(res, method, 501, 'NotImplemented', 'not emulated by the IAM proxy'));
      return;
    }
    const denied = authorize(judged.checks);
    if (denied) {
      // Read the body first: the client may still be sending it.
      req.resume();
      req.on('end', () => s3Error(res, method, 403, 'AccessDenied', notAuthorized(denied)));
      return;
    }
    const read = judged.objectRead;
    forward(req, res, options.upstream.s3, undefined, (response) => {
      if (!read || response.statusCode !== 404) return false;
      const list = { action: 's3:ListBucket', resource: localBucketArn(read.bucket) };
      if (isAllowed(statements, list.action, list.resource)) return false;
      denials.push({ ...list, reason: 'a missing key reads as AccessDenied without s3:ListBucket' });
      s3Error(res, method, 403, 'AccessDenied', 'Access Denied');
      return true;
    });
  };

  const server = createServer((req, res) => {
    const service = serviceOf(req.headers);
    const handled =
      service === 'dynamodb'
        ? handleDynamo(req, res)
        : service === 'states'
          ? handleStates(req, res)
          : service === 'events'
            ? handleEvents(req, res)
            : Promise.resolve(handleS3(req, res));
    handled.catch((error: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`iam proxy: ${error.message}`);
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    events,
    get statements() {
      return statements;
    },
    set statements(next) {
      statements = next;
    },
    calls,
    denials,
    close: () =>
      new Promise<void>((resolveClose, reject) => {
        agent.destroy();
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolveClose()));
      }),
  };
}
