import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { KeptEntries } from '../../ports/bus-entries.js';

/** Where kept entries are written in the bucket; one flat prefix, so a copy of it is one folder to replay. */
export const KEPT_ENTRIES_PREFIX = 'kept/';

/**
 * Kept entries as S3 objects, one per request: NDJSON, one PutEvents entry a line with its
 * last `ErrorCode` and `ErrorMessage`, which `northstar replay` takes as it is. Names start with
 * the time kept, so replaying the folder in name order sends them in the order they came.
 */
export function s3KeptEntries(
  client: S3Client,
  bucket: string,
  now: () => Date = () => new Date(),
): KeptEntries {
  return {
    async keep(entries) {
      const at = now().toISOString().replaceAll(':', '-');
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${KEPT_ENTRIES_PREFIX}${at}-${randomUUID()}.ndjson`,
          Body: entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''),
          ContentType: 'application/x-ndjson',
        }),
      );
    },
  };
}
