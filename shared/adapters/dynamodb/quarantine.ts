import type { Rejection, RejectionReason } from '../../domain/events/envelope.js';
import type { Quarantine, QuarantinedEvent } from '../../ports/quarantine.js';
import { type Item, n, s, ttlSeconds } from './attributes.js';
import { batchPutAll, queryAll, type TableRef } from './batch.js';
import { quarantineDay, quarantinePk, quarantineSk } from './keys.js';

const QUARANTINE_TTL_MS = 30 * 86_400_000;
/** Keeps raw quarantined payloads under DynamoDB's 400 KB item limit. */
const MAX_RAW_CHARS = 300_000;

const optional = (name: string, value: string | undefined): Item =>
  value === undefined ? {} : { [name]: s(value) };

function quarantineItem(rejection: Rejection): Item {
  return {
    pk: s(quarantinePk(quarantineDay(rejection.arrivedAt))),
    sk: s(quarantineSk(rejection.reason, rejection.raw)),
    reason: s(rejection.reason),
    message: s(rejection.message),
    raw: s(rejection.raw.slice(0, MAX_RAW_CHARS)),
    arrivedAt: n(rejection.arrivedAt),
    ...optional('source', rejection.source),
    ...optional('name', rejection.name),
    ...optional('eventId', rejection.eventId),
    ...optional('userId', rejection.userId),
    ttl: ttlSeconds(rejection.arrivedAt + QUARANTINE_TTL_MS),
  };
}

function quarantinedEvent(item: Item): QuarantinedEvent {
  const text = (name: string) => (item[name]?.S === undefined ? {} : { [name]: item[name].S });
  return {
    id: item.sk?.S ?? '',
    // Only this module writes these items, always with a known reason.
    reason: item.reason?.S as RejectionReason,
    message: item.message?.S ?? '',
    raw: item.raw?.S ?? '',
    arrivedAt: Number(item.arrivedAt?.N ?? 0),
    ...text('source'),
    ...text('name'),
    ...text('eventId'),
    ...text('userId'),
  };
}

/** Quarantine items (`Q#<arrival day>`, `<reason>#<payload hash>`), kept 30 days. */
export class QuarantineItems implements Quarantine {
  constructor(private readonly table: TableRef) {}

  async putQuarantine(rejections: readonly Rejection[]): Promise<void> {
    // The same rejection twice in one call would make BatchWriteItem refuse the whole call.
    const unique = new Map<string, Item>();
    for (const item of rejections.map(quarantineItem)) unique.set(`${item.pk?.S}|${item.sk?.S}`, item);
    await batchPutAll(this.table, [...unique.values()]);
  }

  async listQuarantine(day: string): Promise<QuarantinedEvent[]> {
    const items = await queryAll(this.table, { pk: quarantinePk(day), consistent: false });
    return items.map(quarantinedEvent);
  }
}
