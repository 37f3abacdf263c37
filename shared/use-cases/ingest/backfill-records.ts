import {
  type IngestRecordsDeps,
  type IngestSummary,
  ingestRecords,
  type ReceivedRecord,
} from './ingest-records.js';

/**
 * Counts archived entries into a backfill's namespace: the same ingest as live, with each
 * batch judged at its entries' arrival (as live ingest judged them when they came), and
 * without quarantine or freshness, which live ingest already recorded for the same entries.
 */
export function backfillRecords(
  records: readonly ReceivedRecord[],
  deps: IngestRecordsDeps,
): Promise<IngestSummary> {
  const asOf = Math.max(...records.map((record) => record.arrivedAt));
  const { freshness: _freshness, ...rest } = deps;
  return ingestRecords(records, {
    ...rest,
    quarantine: { ...deps.quarantine, putQuarantine: async () => {} },
    asOf: () => asOf,
  });
}
