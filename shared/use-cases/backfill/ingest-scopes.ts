import type { IngestRecordsDeps, IngestSummary, ReceivedRecord } from '../ingest/ingest-records.js';
import { ingestRecords } from '../ingest/ingest-records.js';

/** Live ingest, and the other namespaces that count live traffic (a shown or backfilling generation's). */
export interface ScopedIngest {
  readonly live: IngestRecordsDeps;
  readonly others: readonly IngestRecordsDeps[];
}

/**
 * Counts a batch in the live namespace and in every other one the registry counts in. Each
 * is judged at the same time as live ingest, so they count what it counts; quarantine and
 * freshness are live ingest's alone. A message is failed (and redelivered) if any namespace
 * could not count it: the namespaces that did find it a duplicate the next time.
 */
export async function ingestIntoScopes(
  records: readonly ReceivedRecord[],
  scoped: ScopedIngest,
): Promise<IngestSummary> {
  const [live, ...others] = await Promise.all([
    ingestRecords(records, scoped.live),
    ...scoped.others.map(({ freshness: _freshness, ...deps }) =>
      ingestRecords(records, { ...deps, quarantine: { ...deps.quarantine, putQuarantine: async () => {} } }),
    ),
  ]);
  const failed = new Set([live!, ...others].flatMap((summary) => summary.failedMessageIds));
  return {
    ...live!,
    failedMessageIds: [...failed],
    errors: [live!, ...others].flatMap((summary) => summary.errors),
  };
}
