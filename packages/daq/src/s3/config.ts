/**
 * Where the S3 store lives and how to reach it: `s3://BUCKET/PREFIX`, the endpoint and the credentials (options
 * first, then the usual AWS environment variables), the SDK client settings that Ceph Pacific needs, and the
 * classification of SDK errors into "retry" and "tell the operator".
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { S3StoreError, type S3ErrorReason } from './errors.js';

export interface S3Location {
  bucket: string;
  /** Key prefix: '' or a string ending in '/'. */
  prefix: string;
}

// S3 bucket naming rules (lowercase, 3-63 characters, no leading or trailing dot or hyphen).
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_PART_RE = /^[A-Za-z0-9._-]+$/;

export function isS3Url(s: string): boolean {
  return s.startsWith('s3://');
}

/** Parse `s3://BUCKET` or `s3://BUCKET/PREFIX[/]`. */
export function parseS3Url(url: string): S3Location {
  if (!isS3Url(url)) throw new S3StoreError('BAD_URL', `not an s3:// URL: ${JSON.stringify(url)}`);
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new S3StoreError('BAD_URL', `bad bucket name ${JSON.stringify(bucket)} in ${url} (3-63 of a-z 0-9 . -)`);
  }
  const parts = slash < 0 ? [] : rest.slice(slash + 1).split('/').filter((p) => p !== '');
  for (const p of parts) {
    if (!PREFIX_PART_RE.test(p) || p === '.' || p === '..') throw new S3StoreError('BAD_URL', `bad key prefix ${JSON.stringify(p)} in ${url}`);
  }
  return { bucket, prefix: parts.length ? `${parts.join('/')}/` : '' };
}

export function formatS3Url(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.prefix}`;
}

export interface S3ConnectionOptions {
  /** e.g. http://127.0.0.1:7480 (`--s3-endpoint`). */
  endpoint?: string;
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface S3Connection {
  /** undefined: the SDK's default endpoint for the region (AWS itself). */
  endpoint: string | undefined;
  region: string;
  credentials: S3Credentials;
}

type Env = Record<string, string | undefined>;

const nonEmpty = (...vals: Array<string | undefined>): string | undefined => vals.find((v) => v !== undefined && v !== '');

/**
 * Options override the environment: endpoint from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or S3_ENDPOINT_URL (the one
 * lsst-resources reads); keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; region from
 * AWS_REGION or AWS_DEFAULT_REGION (RGW accepts any, us-east-1 by default).
 */
export function resolveS3Connection(opts: S3ConnectionOptions = {}, env: Env = process.env): S3Connection {
  const endpoint = nonEmpty(opts.endpoint, env.AWS_ENDPOINT_URL_S3, env.AWS_ENDPOINT_URL, env.S3_ENDPOINT_URL);
  if (endpoint !== undefined) {
    let u: URL;
    try {
      u = new URL(endpoint);
    } catch {
      throw new S3StoreError('BAD_URL', `bad S3 endpoint ${JSON.stringify(endpoint)}`, { field: 's3Endpoint' });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new S3StoreError('BAD_URL', `S3 endpoint must be http(s)://: ${endpoint}`, { field: 's3Endpoint' });
    }
  }
  const accessKeyId = nonEmpty(opts.accessKeyId, env.AWS_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(opts.secretAccessKey, env.AWS_SECRET_ACCESS_KEY);
  // No fallback to the SDK's provider chain: it would probe the EC2 metadata address, which hangs off-cloud.
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new S3StoreError('NO_CREDENTIALS', 'no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or pass them as options)');
  }
  const sessionToken = nonEmpty(opts.sessionToken, env.AWS_SESSION_TOKEN);
  return {
    endpoint: endpoint?.replace(/\/+$/, ''),
    region: nonEmpty(opts.region, env.AWS_REGION, env.AWS_DEFAULT_REGION) ?? 'us-east-1',
    credentials: sessionToken === undefined ? { accessKeyId, secretAccessKey } : { accessKeyId, secretAccessKey, sessionToken },
  };
}

export interface ClientTuning {
  /** TCP connect timeout, ms. */
  connectTimeoutMs?: number;
  /** Sockets to the gateway at most. */
  maxSockets?: number;
}

/**
 * An S3 client for Ceph RGW. Path-style addressing (no wildcard DNS on loopback); checksums only when an operation
 * requires them, because Pacific rejects the SDK's default aws-chunked trailing checksums (411
 * MissingContentLength on stream bodies); one attempt per send, as the store runs its own bounded retries.
 */
export function createS3Client(conn: S3Connection, tuning: ClientTuning = {}): S3Client {
  quietNodeVersionWarning();
  return new S3Client({
    ...(conn.endpoint !== undefined ? { endpoint: conn.endpoint } : {}),
    region: conn.region,
    credentials: conn.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: tuning.connectTimeoutMs ?? 3000,
      httpAgent: { keepAlive: true, maxSockets: tuning.maxSockets ?? 32 },
      httpsAgent: { keepAlive: true, maxSockets: tuning.maxSockets ?? 32 },
    },
  });
}

/**
 * The SDK warns once per process, on stderr, that releases after January 2027 need Node 22. daqsim pins its SDK
 * version, so on Node 20 the warning is noise in every CLI run; set the variable to 'false' to see it again.
 */
export function quietNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export type FailureKind =
  /** Worth retrying: network errors, timeouts, 5xx, throttling, a corrupted body (BadDigest). */
  | 'transient'
  /** The bucket is gone. */
  | 'no-bucket'
  | 'bad-credentials'
  | 'access-denied'
  /** Any other refusal (4xx). */
  | 'request';

const TRANSIENT_NAMES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ServiceUnavailable',
  'InternalError',
  'BadDigest',
  'TimeoutError',
  'AbortError',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED', 'ENOTFOUND']);

export function errorName(e: unknown): string {
  if (e instanceof Error) return e.name;
  return typeof e;
}

export function httpStatus(e: unknown): number | undefined {
  if (e instanceof S3ServiceException) return e.$metadata.httpStatusCode;
  if (typeof e === 'object' && e !== null && '$metadata' in e) {
    const m = (e as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return m?.httpStatusCode;
  }
  return undefined;
}

function errnoCode(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const c = (e as { code?: unknown }).code;
  if (typeof c === 'string') return c;
  const cause = (e as { cause?: unknown }).cause;
  return cause !== undefined && cause !== e ? errnoCode(cause) : undefined;
}

export function classify(e: unknown): FailureKind {
  const name = errorName(e);
  const status = httpStatus(e);
  if (name === 'NoSuchBucket') return 'no-bucket';
  if (name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch' || name === 'InvalidToken' || name === 'ExpiredToken') return 'bad-credentials';
  if (name === 'AccessDenied' || name === 'AllAccessDisabled') return 'access-denied';
  if (TRANSIENT_NAMES.has(name)) return 'transient';
  if (status === undefined) {
    // No HTTP response: the gateway is down, unreachable or hung up mid-request.
    return 'transient';
  }
  if (status >= 500 || status === 429 || status === 408) return 'transient';
  if (TRANSIENT_CODES.has(errnoCode(e) ?? '')) return 'transient';
  return 'request';
}

export function describeError(e: unknown): string {
  const status = httpStatus(e);
  const code = errnoCode(e);
  const msg = e instanceof Error ? e.message : String(e);
  const name = errorName(e);
  const bits = [name !== 'Error' ? name : undefined, status !== undefined ? `HTTP ${status}` : undefined, code !== undefined && code !== name ? code : undefined].filter((b) => b !== undefined);
  return `${bits.join(' ')}${msg && msg !== name && msg !== 'UnknownError' ? `: ${msg}` : ''}` || 'unknown error';
}

/** The typed error for a failure that retrying will not fix. */
export function fatalError(kind: Exclude<FailureKind, 'transient'>, e: unknown, ctx: { bucket: string; endpoint: string | undefined; key?: string }): S3StoreError {
  const where = `bucket ${ctx.bucket} at ${ctx.endpoint ?? 'the default AWS endpoint'}`;
  const reason: S3ErrorReason = kind === 'no-bucket' ? 'NO_BUCKET' : kind === 'bad-credentials' ? 'BAD_CREDENTIALS' : kind === 'access-denied' ? 'ACCESS_DENIED' : 'REQUEST';
  const text =
    kind === 'no-bucket'
      ? `${where} does not exist (create it, e.g. with "daqsim s3 setup")`
      : kind === 'bad-credentials'
        ? `the gateway rejected the credentials for ${where} (${errorName(e)}): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY`
        : kind === 'access-denied'
          ? `access denied to ${where}`
          : `${where}${ctx.key !== undefined ? `, key ${ctx.key}` : ''}: ${describeError(e)}`;
  return new S3StoreError(reason, text, { cause: e, ...(ctx.key !== undefined ? { key: ctx.key } : {}) });
}
