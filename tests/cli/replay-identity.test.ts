import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type PutEventsProxy,
  type PutEventsRequest,
  startPutEventsProxy,
} from '../client/put-events-proxy.js';
import { runCli } from './cli-runner.js';

let dir: string;
/** A PutEvents endpoint that accepts every entry and keeps the requests. */
let accepting: PutEventsProxy;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-cli-replay-identity-'));
  accepting = await startPutEventsProxy('http://127.0.0.1:1', (call, request) => ({
    kind: 'answer',
    status: 200,
    body: {
      FailedEntryCount: 0,
      Entries: request.Entries.map((_, index) => ({ EventId: `accepted-${call}-${index}` })),
    },
  }));
});

afterAll(async () => {
  await accepting.close();
  await rm(dir, { recursive: true, force: true });
});

/** (userId, eventId) of every event the endpoint was sent. */
function sentEvents(requests: readonly PutEventsRequest[]): string[] {
  return requests.flatMap((request) =>
    request.Entries.flatMap((entry) =>
      (JSON.parse(entry.Detail) as { events: { userId: string; eventId: string }[] }).events.map(
        (event) => `${event.userId}/${event.eventId}`,
      ),
    ),
  );
}

describe('northstar replay: event identity', () => {
  test("It should send the same eventId under two users as two events, and one user's repeat once (SEMANTICS.md section 1)", async () => {
    // Prepare: eventIds numbered per user, as exports from per-device counters are.
    const event = (userId: string, eventId: string) => ({
      name: 'page_viewed',
      eventId,
      userId,
      occurredAt: '2026-01-01T00:00:00Z',
      properties: { path: '/' },
    });
    const file = join(dir, 'per-user-ids.ndjson');
    await writeFile(
      file,
      `${[event('ann', '1'), event('bob', '1'), event('ann', '1'), event('bob', '2')].map((line) => JSON.stringify(line)).join('\n')}\n`,
    );
    // Act
    const result = await runCli([
      'replay',
      file,
      '--source',
      'app.web',
      '--endpoint',
      accepting.url,
      '--json',
    ]);
    // Assess: only ann's repeat of her event 1 is a duplicate.
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ events: 3, duplicates: 1, accepted: 3 });
    expect(sentEvents(accepting.requests).sort()).toEqual(['ann/1', 'bob/1', 'bob/2']);
  });
});
