/** The S3 store (Ceph RGW), its bucket-notification setup and the store-to-store copy. */
export { S3Store, type S3StoreOptions, type S3StoreEvent, type S3StoredObject, type S3StoreStats } from './store.js';
export { S3StoreError, type S3ErrorReason } from './errors.js';
export {
  parseS3Url,
  formatS3Url,
  isS3Url,
  resolveS3Connection,
  createS3Client,
  classify as classifyS3Error,
  type S3Location,
  type S3Connection,
  type S3ConnectionOptions,
  type S3Credentials,
  type ClientTuning,
  type FailureKind,
} from './config.js';
export { setupBucketNotifications, createBucketIfMissing, createSnsClient, type BucketNotificationOptions, type BucketNotificationSetup } from './notifications.js';
export { copyStore, copyBucket, type CopyOptions, type CopySummary } from './copy.js';
export { expectedETag, bareETag, backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from './retry.js';
export { type SpoolEntry } from './spool.js';
