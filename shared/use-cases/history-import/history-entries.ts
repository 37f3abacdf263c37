import { BATCH_DETAIL_TYPE } from '../../domain/events/envelope.js';

/** An EventBridge event as the bus delivers it, or as an import rebuilds one from a PutEvents entry. */
export interface EntryEnvelope {
  readonly id?: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account?: string;
  readonly time?: string;
  readonly region?: string;
  readonly detail: unknown;
}

/**
 * One product event of an entry as a single-event entry, timed when it happened: how history
 * keeps imported events, so that each is validated, de-duplicated and counted on its own.
 */
export function singleEntries(event: EntryEnvelope): string[] {
  const detail = event.detail as Record<string, unknown>;
  const raw =
    event['detail-type'] === BATCH_DETAIL_TYPE && Array.isArray(detail?.events)
      ? (detail.events as Record<string, unknown>[])
      : [{ name: event['detail-type'], ...detail }];
  return raw.map((element) => {
    const { name, ...rest } = (element ?? {}) as Record<string, unknown>;
    return JSON.stringify({
      version: '0',
      id: event.id,
      'detail-type': name,
      source: event.source,
      account: event.account,
      time: typeof rest.occurredAt === 'string' ? rest.occurredAt : event.time,
      region: event.region,
      resources: [],
      detail: rest,
    });
  });
}

export class ImportError extends Error {
  constructor(
    readonly code: 'unknown_import' | 'invalid_import_id' | 'finished_import',
    message: string,
  ) {
    super(message);
  }
}

const IMPORT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** An import's id names its files and records: letters, digits, - and _ only. */
export function checkImportId(id: string): void {
  if (!IMPORT_ID.test(id))
    throw new ImportError('invalid_import_id', `import id "${id}" must be 1-64 letters, digits, - or _`);
}

export const finishedImportError = (importId: string) =>
  new ImportError('finished_import', `import "${importId}" is finished; start another to import more`);
