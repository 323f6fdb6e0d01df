/**
 * Typed errors of the S3 store. Each is a `DaqError` (so the CLI's existing handling applies) with a finer `reason`
 * that says what to fix: a missing bucket and bad credentials are configuration problems reported once, at open;
 * UNAVAILABLE means the gateway stayed down past the retry bound with no spool to fall back on.
 */
import { DaqError, type DaqErrorCode } from '../errors.js';

export type S3ErrorReason =
  /** `s3://BUCKET/PREFIX` or an endpoint that does not parse. */
  | 'BAD_URL'
  /** No credentials in the options or the AWS environment variables. */
  | 'NO_CREDENTIALS'
  /** The bucket does not exist. */
  | 'NO_BUCKET'
  /** Unknown access key or wrong secret. */
  | 'BAD_CREDENTIALS'
  /** The credentials are valid but may not use the bucket. */
  | 'ACCESS_DENIED'
  /** Nothing answered at the endpoint (at open). */
  | 'UNREACHABLE'
  /** The gateway stayed down or slow past the retry bound and there is no spool. */
  | 'UNAVAILABLE'
  /** The stored object does not match the bytes sent (eTag or MD5 differ). */
  | 'CHECKSUM'
  /** The gateway refused a request for another reason. */
  | 'REQUEST'
  /** The local spool directory cannot be written or read. */
  | 'SPOOL'
  /** Creating the topic or the bucket notification failed. */
  | 'NOTIFICATION_SETUP'
  /** The store was closed. */
  | 'CLOSED';

const CODE: Record<S3ErrorReason, DaqErrorCode> = {
  BAD_URL: 'BAD_CONFIG',
  NO_CREDENTIALS: 'BAD_CONFIG',
  NO_BUCKET: 'NOT_FOUND',
  BAD_CREDENTIALS: 'UNAUTHORIZED',
  ACCESS_DENIED: 'UNAUTHORIZED',
  UNREACHABLE: 'STORE',
  UNAVAILABLE: 'STORE',
  CHECKSUM: 'STORE',
  REQUEST: 'STORE',
  SPOOL: 'STORE',
  NOTIFICATION_SETUP: 'NOTIFY',
  CLOSED: 'STORE',
};

export class S3StoreError extends DaqError {
  readonly reason: S3ErrorReason;
  /** The object key concerned, when there is one. */
  readonly key: string | undefined;

  constructor(reason: S3ErrorReason, message: string, opts: { key?: string; field?: string; cause?: unknown } = {}) {
    super(CODE[reason], message, opts.field ?? 'store');
    this.name = 'S3StoreError';
    this.reason = reason;
    this.key = opts.key;
    if (opts.cause !== undefined) this.cause = opts.cause;
  }
}
