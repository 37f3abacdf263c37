import type { SQSEvent } from 'aws-lambda';
import { sqsRecord } from '../../local/local-queue.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';

export interface TestEvent {
  name: string;
  eventId: string;
  userId: string;
  occurredAt: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

let counter = 0;

/** An EventBridge event as the rule puts it on the queue: one product event. */
export function singleEntry(event: TestEvent, source = 'app.web'): string {
  const { name, ...detail } = event;
  return JSON.stringify({
    version: '0',
    id: `id-${++counter}`,
    'detail-type': name,
    source,
    account: '123456789012',
    time: event.occurredAt,
    region: 'us-east-1',
    resources: [],
    detail,
  });
}

/** A `Northstar Event Batch` entry carrying several events. */
export function batchEntry(events: readonly TestEvent[], source = 'app.web'): string {
  return JSON.stringify({
    version: '0',
    id: `id-${++counter}`,
    'detail-type': BATCH_DETAIL_TYPE,
    source,
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { events },
  });
}

export interface QueuedEntry {
  messageId: string;
  body: string;
  arrivedAt: number;
}

export function sqsEvent(entries: readonly QueuedEntry[]): SQSEvent {
  return { Records: entries.map((entry) => sqsRecord(entry, 1)) };
}
