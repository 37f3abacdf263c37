/** What one part of a history import brought, or the sum of its parts. */
export interface ImportCounts {
  /** Events received. */
  readonly received: number;
  /** Events that joined the history. */
  readonly imported: number;
  /** Events the tracking plan refused, by reason (they are in the quarantine). */
  readonly rejected: Readonly<Record<string, number>>;
  /** The earliest and the latest imported event; null before any. */
  readonly from: number | null;
  readonly to: number | null;
}

export interface FinishedImport {
  readonly importId: string;
  readonly finishedAt: number;
  readonly counts: ImportCounts;
}

/**
 * History imports on AWS, recorded beside the registry: each part's counts as it is stored,
 * then the import finished. Only finished imports are read by a backfill.
 */
export interface HistoryImportRecords {
  /** Records a part's counts, replacing those of the same part (a part sent again). */
  recordPart(importId: string, part: string, counts: ImportCounts): Promise<void>;
  readParts(importId: string): Promise<ImportCounts[]>;
  readFinished(importId: string): Promise<FinishedImport | undefined>;
  /** Records the import finished unless it is; returns the record that stands. */
  finish(importId: string, counts: ImportCounts, at: number): Promise<FinishedImport>;
  /** Every finished import, oldest first. */
  listFinished(): Promise<FinishedImport[]>;
}

/** Sums parts' counts. */
export function sumCounts(parts: readonly ImportCounts[]): ImportCounts {
  const rejected: Record<string, number> = {};
  let received = 0;
  let imported = 0;
  let from: number | null = null;
  let to: number | null = null;
  for (const part of parts) {
    received += part.received;
    imported += part.imported;
    for (const [reason, count] of Object.entries(part.rejected))
      rejected[reason] = (rejected[reason] ?? 0) + count;
    if (part.from !== null) from = from === null ? part.from : Math.min(from, part.from);
    if (part.to !== null) to = to === null ? part.to : Math.max(to, part.to);
  }
  return { received, imported, rejected, from, to };
}
