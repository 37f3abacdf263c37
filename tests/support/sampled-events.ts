import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import fc from 'fast-check';
import { expect } from 'vitest';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import { demoProperties } from './demo-events.js';
import type { TestEvent } from './entries.js';

export interface SampleOptions {
  readonly count: number;
  readonly users: number;
  /** Events happen between `minMinutesAgo` and this many days ago. */
  readonly days: number;
  readonly seed: number;
  /** @default 1 */
  readonly minMinutesAgo?: number;
  /** Event ids are `<prefix><index>`. @default 'e' */
  readonly prefix?: string;
}

/** Demo events of a few users before now, the same for the same seed. */
export function sampledEvents(options: SampleOptions): TestEvent[] {
  const now = Date.now();
  const event = fc
    .record({
      name: fc.constantFrom(...Object.keys(demoProperties)),
      user: fc.integer({ min: 1, max: options.users }),
      minutesAgo: fc.integer({ min: options.minMinutesAgo ?? 1, max: options.days * 24 * 60 }),
    })
    .chain(({ name, user, minutesAgo }) =>
      demoProperties[name]!.map((properties) => ({
        name,
        userId: `u${user}`,
        occurredAt: new Date(now - minutesAgo * 60_000).toISOString(),
        properties,
      })),
    );
  return fc
    .sample(event, { seed: options.seed, numRuns: options.count })
    .map((e, index) => ({ ...e, eventId: `${options.prefix ?? 'e'}${index}` }));
}

/** PutEvents calls of 10 batch entries of 10 events each, from source `app.web`; every entry must be taken. */
export async function sendBatches(url: string, events: readonly TestEvent[]): Promise<void> {
  const client = eventBridgeClient(url);
  for (let i = 0; i < events.length; i += 100) {
    const entries = [];
    for (let j = i; j < Math.min(i + 100, events.length); j += 10)
      entries.push({
        Source: 'app.web',
        DetailType: BATCH_DETAIL_TYPE,
        Detail: JSON.stringify({ events: events.slice(j, Math.min(j + 10, events.length)) }),
      });
    expect((await client.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
  }
  client.destroy();
}
