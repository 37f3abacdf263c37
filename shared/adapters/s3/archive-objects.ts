import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ArchiveObject, ArchiveObjects } from '../../ports/archive-objects.js';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** Firehose writes gzip when compression is on; an object written without it is read as it is. */
export async function linesOf(bytes: Uint8Array): Promise<string[]> {
  const text = (
    bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzipAsync(bytes) : Buffer.from(bytes)
  ).toString('utf8');
  return text.split('\n').filter((line) => line.trim() !== '');
}

export const gzipLines = (lines: readonly string[]) => gzipAsync(lines.map((line) => `${line}\n`).join(''));

/** The archive bucket through S3; objects are encrypted by the bucket's default key. */
export function s3ArchiveObjects(client: S3Client, bucket: string): ArchiveObjects {
  return {
    async list(prefix) {
      const objects: ArchiveObject[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? [])
          if (object.Key) objects.push({ key: object.Key, size: object.Size ?? 0 });
        token = page.NextContinuationToken;
      } while (token);
      return objects;
    },
    async readLines(key) {
      const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!object.Body) return [];
      return linesOf(await object.Body.transformToByteArray());
    },
    async writeLines(key, lines) {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: await gzipLines(lines),
          ContentType: 'application/x-ndjson',
        }),
      );
    },
  };
}
