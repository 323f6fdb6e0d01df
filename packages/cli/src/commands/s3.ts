/** `daqsim s3 setup`: make the gateway itself announce new raws (bucket, SNS-style topic, ObjectCreated notification). */
import type { Command } from 'commander';
import { setupBucketNotifications } from '@daqsim/daq';
import { EXIT, runCommand } from '../shared/output.js';
import { addS3Options, asStartupError, s3Connection, type S3CliOptions } from '../shared/s3.js';

interface SetupOptions extends S3CliOptions {
  bucket: string;
  topic: string;
  pushEndpoint: string;
  opaqueData?: string;
  prefix?: string;
  suffix?: string;
  persistent?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  const s3 = program.command('s3').description('S3 / Ceph RADOS Gateway helpers (see docs/ceph.md)');
  const setup = s3
    .command('setup')
    .description('create the bucket (if missing), a topic pushing to an HTTP endpoint, and the bucket notification for s3:ObjectCreated:*')
    .requiredOption('--bucket <name>', 'bucket, e.g. rubinobs-raw-lsstcam')
    .requiredOption('--topic <name>', 'topic name, e.g. rubinobs-raw-lsstcam')
    .requiredOption('--push-endpoint <url>', 'where the gateway POSTs each notification, e.g. http://127.0.0.1:8099/notify (or amqp://...)')
    .option('--opaque-data <s>', "copied into each record's opaqueData (the ingest side's shared secret)")
    .option('--prefix <p>', 'only keys with this prefix')
    .option('--suffix <s>', 'only keys with this suffix, e.g. .fits.fz to skip the JSON sidecars')
    .option('--persistent', 'persistent topic: queued and retried by the gateway (Pacific delivers the first one after up to 30 s)');
  addS3Options(setup)
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  daqsim s3 setup --bucket rubinobs-raw-lsstcam --topic raw-lsstcam --push-endpoint http://127.0.0.1:8099/notify --s3-endpoint http://127.0.0.1:7480')
    .action((o: SetupOptions) =>
      runCommand(o, async () => {
        const r = await setupBucketNotifications({
          ...s3Connection(o),
          bucket: o.bucket,
          topic: o.topic,
          pushEndpoint: o.pushEndpoint,
          ...(o.opaqueData !== undefined ? { opaqueData: o.opaqueData } : {}),
          ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
          ...(o.suffix !== undefined ? { suffix: o.suffix } : {}),
          persistent: o.persistent ?? false,
        }).catch((e: unknown) => {
          throw asStartupError(e);
        });
        if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...r, pushEndpoint: o.pushEndpoint })}\n`);
        else {
          process.stdout.write(`${r.topicArn}\n`);
          process.stderr.write(`daqsim: bucket ${r.bucket} ${r.bucketCreated ? 'created' : 'exists'}; ${r.events.join(', ')} -> ${o.pushEndpoint} (notification ${r.configurationId})\n`);
        }
        return EXIT.OK;
      }),
    );
}
