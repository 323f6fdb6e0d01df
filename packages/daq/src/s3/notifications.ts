/**
 * "daqsim s3 setup": make the gateway itself announce new raws, as the summit's RGW announces them to Kafka. Creates
 * the bucket, an SNS-style topic whose push endpoint is an HTTP URL (RGW's SNS-compatible API on the S3 port), and
 * the bucket notification for s3:ObjectCreated:*. Ceph then POSTs a `{"Records":[...]}` body per object to the
 * endpoint (control.md §4). Debian's radosgw has no Kafka support; http(s) and amqp endpoints work.
 */
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  PutBucketNotificationConfigurationCommand,
  type Event as S3Event,
  type FilterRule,
  type S3Client,
  type TopicConfiguration,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { classify, createS3Client, quietNodeVersionWarning, describeError, httpStatus, fatalError, resolveS3Connection, type S3Connection, type S3ConnectionOptions } from './config.js';
import { S3StoreError } from './errors.js';

export interface BucketNotificationOptions extends S3ConnectionOptions {
  bucket: string;
  /** Topic name, e.g. `rubinobs-raw-lsstcam`. */
  topic: string;
  /** Where the gateway POSTs each notification, e.g. http://127.0.0.1:8099/notify (or amqp://…). */
  pushEndpoint: string;
  /** Copied into each record's `opaqueData` (embargo-butler checks it against NOTIFICATION_SECRET). */
  opaqueData?: string;
  /**
   * Persistent topics queue notifications in RADOS and retry; Pacific delivers the first one only after up to 30 s.
   * Default false: delivered before the PUT returns, lost if the endpoint is down.
   */
  persistent?: boolean;
  /** Notification id (the records' `configurationId`); default the topic name. */
  configurationId?: string;
  events?: string[];
  /** Only keys with this prefix / suffix (e.g. suffix `.fits` to skip sidecars, as prompt processing does). */
  prefix?: string;
  suffix?: string;
  /** Create the bucket if it is missing (default true). */
  createBucket?: boolean;
  env?: Record<string, string | undefined>;
}

export interface BucketNotificationSetup {
  bucket: string;
  bucketCreated: boolean;
  topicArn: string;
  configurationId: string;
  events: string[];
}

function setupError(what: string, e: unknown): S3StoreError {
  return new S3StoreError('NOTIFICATION_SETUP', `${what}: ${describeError(e)}`, { cause: e });
}

/** An SNS client for RGW's topic API (same endpoint and credentials as S3; RGW ignores the region). */
export function createSnsClient(conn: S3Connection): SNSClient {
  quietNodeVersionWarning();
  return new SNSClient({
    ...(conn.endpoint !== undefined ? { endpoint: conn.endpoint } : {}),
    region: conn.region,
    credentials: conn.credentials,
    maxAttempts: 3,
  });
}

/** Create `bucket` unless it exists; true if it was created. (RGW answers 200 to CreateBucket on a bucket one already owns, so ask first.) */
export async function createBucketIfMissing(client: S3Client, bucket: string, endpoint: string | undefined): Promise<boolean> {
  const fail = (e: unknown): S3StoreError => {
    const kind = classify(e);
    if (kind !== 'transient') return fatalError(kind, e, { bucket, endpoint });
    return new S3StoreError('UNREACHABLE', `cannot create bucket ${bucket} at ${endpoint}: ${describeError(e)}`, { cause: e });
  };
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return false;
  } catch (e) {
    // HEAD answers carry no error body: 404 is the SDK's "NotFound", 403 "Forbidden".
    const status = httpStatus(e);
    if (status === 403) throw new S3StoreError('ACCESS_DENIED', `bucket ${bucket} at ${endpoint} exists but is not yours (or the credentials are wrong)`, { cause: e });
    if (status !== 404) throw fail(e);
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    return true;
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    if (name === 'BucketAlreadyOwnedByYou') return false;
    if (name === 'BucketAlreadyExists') throw new S3StoreError('ACCESS_DENIED', `bucket ${bucket} at ${endpoint} belongs to another user`, { cause: e });
    throw fail(e);
  }
}

export async function setupBucketNotifications(opts: BucketNotificationOptions): Promise<BucketNotificationSetup> {
  const conn = resolveS3Connection(opts, opts.env);
  let push: URL;
  try {
    push = new URL(opts.pushEndpoint);
  } catch {
    throw new S3StoreError('BAD_URL', `bad push endpoint ${JSON.stringify(opts.pushEndpoint)}`, { field: 'pushEndpoint' });
  }
  // RGW refuses credentials in a push URL over plain http/amqp and answers only "Unknown": say why here.
  if (push.password !== '' && (push.protocol === 'http:' || push.protocol === 'amqp:')) {
    throw new S3StoreError('BAD_URL', `push endpoint ${push.protocol}//… carries a password over an unencrypted transport, which RGW refuses`, { field: 'pushEndpoint' });
  }
  if (push.protocol === 'kafka:') {
    throw new S3StoreError('BAD_URL', 'kafka:// push endpoints need a radosgw built with librdkafka (Debian\'s is not); use http:// or amqp://', { field: 'pushEndpoint' });
  }
  const s3 = createS3Client(conn);
  const sns = createSnsClient(conn);
  const configurationId = opts.configurationId ?? opts.topic;
  const events = opts.events ?? ['s3:ObjectCreated:*'];
  try {
    const bucketCreated = opts.createBucket === false ? false : await createBucketIfMissing(s3, opts.bucket, conn.endpoint);

    let topicArn: string;
    try {
      const attrs: Record<string, string> = { 'push-endpoint': opts.pushEndpoint, persistent: opts.persistent ? 'true' : 'false' };
      if (opts.opaqueData !== undefined) attrs.OpaqueData = opts.opaqueData;
      const out = await sns.send(new CreateTopicCommand({ Name: opts.topic, Attributes: attrs }));
      if (out.TopicArn === undefined) throw new Error('no TopicArn in the CreateTopic answer');
      topicArn = out.TopicArn;
    } catch (e) {
      throw setupError(`cannot create topic ${opts.topic} at ${conn.endpoint}`, e);
    }

    // PutBucketNotificationConfiguration replaces the whole set: keep the other notifications of the bucket.
    let existing: TopicConfiguration[] = [];
    try {
      const cur = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: opts.bucket }));
      existing = (cur.TopicConfigurations ?? []).filter((t) => t.Id !== configurationId);
    } catch (e) {
      const kind = classify(e);
      if (kind !== 'transient' && kind !== 'request') throw fatalError(kind, e, { bucket: opts.bucket, endpoint: conn.endpoint });
    }
    const rules: FilterRule[] = [];
    if (opts.prefix !== undefined) rules.push({ Name: 'prefix', Value: opts.prefix });
    if (opts.suffix !== undefined) rules.push({ Name: 'suffix', Value: opts.suffix });
    const ours: TopicConfiguration = { Id: configurationId, TopicArn: topicArn, Events: events as S3Event[], ...(rules.length ? { Filter: { Key: { FilterRules: rules } } } : {}) };
    try {
      await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: opts.bucket, NotificationConfiguration: { TopicConfigurations: [...existing, ours] } }));
    } catch (e) {
      const kind = classify(e);
      if (kind === 'no-bucket' || kind === 'bad-credentials' || kind === 'access-denied') throw fatalError(kind, e, { bucket: opts.bucket, endpoint: conn.endpoint });
      throw setupError(`cannot attach topic ${topicArn} to bucket ${opts.bucket}`, e);
    }
    return { bucket: opts.bucket, bucketCreated, topicArn, configurationId, events };
  } finally {
    s3.destroy();
    sns.destroy();
  }
}
