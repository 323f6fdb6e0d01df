/**
 * Direct object operations for tests in other packages (the CLI's), which do not depend on the AWS SDK themselves:
 * HEAD an object (its eTag and size as the gateway reports them) and delete one, with the store's client.
 */
import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export async function headObject(client: S3Client, bucket: string, key: string): Promise<{ eTag: string; size: number }> {
  const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { eTag: (h.ETag ?? '').replace(/"/g, ''), size: h.ContentLength ?? -1 };
}

export async function deleteObject(client: S3Client, bucket: string, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}
