import type { ProductEvent, Rejection, RejectionReason } from '../../domain/events/envelope.js';
import { parseEntry, type TrackingPlanSchemas } from '../../domain/events/tracking-plan.js';
import type { Stores } from '../../ports/stores.js';
import { pauser } from './pause.js';
import { ingestEvents, type RoundDeps } from './rounds.js';

/** One queue message: an EventBridge entry as the rule delivered it. */
export interface ReceivedRecord {
  readonly messageId: string;
  readonly body: string;
  /** When the entry reached the queue; stable across redeliveries. */
  readonly arrivedAt: number;
}

export interface IngestRecordsDeps extends RoundDeps, Pick<Stores, 'quarantine'> {
  readonly schemas: TrackingPlanSchemas;
  /** Moves the latest accepted event forward, once per batch (the dashboard's freshness). */
  readonly freshness?: Pick<Stores['freshness'], 'recordAccepted'>;
}

export interface IngestSummary {
  readonly failedMessageIds: string[];
  readonly accepted: number;
  readonly duplicates: number;
  readonly conflicts: number;
  readonly quarantined: Partial<Record<RejectionReason, number>>;
  readonly rounds: number;
  readonly errors: unknown[];
}

/**
 * Validates, quarantines and counts a batch of queue messages. A message is reported
 * failed (and redelivered) unless every one of its events was counted, found a duplicate,
 * or quarantined; redelivery is safe because every step is idempotent.
 */
export async function ingestRecords(
  records: readonly ReceivedRecord[],
  deps: IngestRecordsDeps,
): Promise<IngestSummary> {
  const failed = new Set<string>();
  const errors: unknown[] = [];
  const eventsOf = new Map<string, Set<string>>();
  const rejections: { messageId: string; rejection: Rejection }[] = [];
  const events: { event: ProductEvent; messageId: string }[] = [];
  const pause = pauser();
  for (const record of records) {
    await pause();
    const parsed = parseEntry(record.body, {
      compiled: deps.compiled,
      schemas: deps.schemas,
      arrivedAt: record.arrivedAt,
    });
    for (const rejection of parsed.rejections) rejections.push({ messageId: record.messageId, rejection });
    for (const event of parsed.events) {
      const users = eventsOf.get(event.userId) ?? new Set();
      users.add(record.messageId);
      eventsOf.set(event.userId, users);
      events.push({ event, messageId: record.messageId });
    }
  }

  let accepted = 0;
  let duplicates = 0;
  let conflicts = 0;
  let rounds = 0;
  try {
    const outcome = await ingestEvents(
      events.map(({ event }) => event),
      deps,
    );
    accepted = outcome.accepted.length;
    duplicates = outcome.duplicates.length;
    conflicts = outcome.conflicts.length;
    rounds = outcome.rounds;
    // Freshness is a display: its failure must not send a committed batch back to the queue.
    await deps.freshness?.recordAccepted(outcome.accepted, deps.clock()).catch((error: unknown) => {
      errors.push(error);
    });
    for (const userId of outcome.failedUsers)
      for (const messageId of eventsOf.get(userId) ?? []) failed.add(messageId);
    errors.push(...outcome.userErrors.values());
    const expiredKeys = new Set(outcome.expired.map((event) => event.key));
    for (const { event, messageId } of events) {
      if (!expiredKeys.has(event.key)) continue;
      rejections.push({
        messageId,
        rejection: {
          reason: 'queue_expired',
          message: `waited in the queue longer than ${deps.compiled.config.ingest.maxQueueAge}; replay it to count it`,
          source: event.source,
          name: event.name,
          eventId: event.eventId,
          userId: event.userId,
          raw: JSON.stringify({
            source: event.source,
            event: {
              name: event.name,
              eventId: event.eventId,
              userId: event.userId,
              occurredAt: new Date(event.occurredAt).toISOString(),
              properties: event.properties,
            },
          }),
          arrivedAt: event.arrivedAt,
        },
      });
    }
  } catch (error) {
    errors.push(error);
    for (const { messageId } of events) failed.add(messageId);
  }

  const quarantined: Partial<Record<RejectionReason, number>> = {};
  try {
    await deps.quarantine.putQuarantine(rejections.map(({ rejection }) => rejection));
    for (const { rejection } of rejections)
      quarantined[rejection.reason] = (quarantined[rejection.reason] ?? 0) + 1;
  } catch (error) {
    errors.push(error);
    for (const { messageId } of rejections) failed.add(messageId);
  }
  return { failedMessageIds: [...failed], accepted, duplicates, conflicts, quarantined, rounds, errors };
}
