/**
 * S3 bucket notifications as Ceph RGW sends them for an object PUT (control.md §4, ceph-rgw.md): the body that
 * embargo-butler's /notify, ctrl_oods' MsgIngester and prompt processing consume. Ceph's dialect: eTag without
 * quotes, empty awsRegion, opaqueData carrying the topic's shared secret.
 */
import { TAI_MINUS_UTC_MS } from '../clock.js';

export interface S3Record {
  eventVersion: string;
  eventSource: string;
  awsRegion: string;
  /** UTC ISO time with Z. */
  eventTime: string;
  eventName: string;
  userIdentity: { principalId: string };
  s3: {
    s3SchemaVersion: string;
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string; id: string };
    object: { key: string; size: number; eTag: string; versionId: string; sequencer: string; metadata: Array<{ key: string; val: string }>; tags: unknown[] };
  };
  eventId: string;
  opaqueData: string;
}

export interface BucketNotification {
  Records: S3Record[];
}

export interface ObjectCreated {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  /** TAI ms of the PUT (emulated clock). */
  taiMs: number;
}

let sequencer = 0;

export function objectCreatedNotification(obj: ObjectCreated, opaqueData: string, principal = 'daqsim'): BucketNotification {
  const utcMs = obj.taiMs - TAI_MINUS_UTC_MS;
  const seq = (Date.now() * 1000 + (sequencer++ % 1000)).toString(16).toUpperCase();
  return {
    Records: [
      {
        eventVersion: '2.2',
        eventSource: 'ceph:s3',
        awsRegion: '',
        eventTime: new Date(utcMs).toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: principal },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'daqsim',
          bucket: { name: obj.bucket, ownerIdentity: { principalId: principal }, arn: `arn:aws:s3:::${obj.bucket}`, id: obj.bucket },
          object: { key: obj.key, size: obj.size, eTag: obj.eTag, versionId: '', sequencer: seq, metadata: [], tags: [] },
        },
        eventId: `${(utcMs / 1000).toFixed(6)}.${obj.eTag}`,
        opaqueData,
      },
    ],
  };
}
