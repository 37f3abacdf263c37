import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import { PipelineStatus } from '../../shared/use-cases/read-api/schemas.js';
import { config } from '../support/daily-activity.js';

let runtime: Runtime;
/** While set, every PutItem of ingest waits: a drain that cannot keep up, on demand. */
let held: Promise<void> | undefined;
let release: () => void = () => undefined;

const entry = (eventId: string) => ({
  Source: 'app.web',
  DetailType: 'signed_up',
  Detail: JSON.stringify({ eventId, userId: `user-${eventId}`, occurredAt: new Date().toISOString() }),
});

/** PutEvents without the SDK's retries, to see the endpoint's own answer. */
async function putEventsOnce(entries: ReturnType<typeof entry>[]) {
  const response = await fetch(runtime.url, {
    method: 'POST',
    headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ Entries: entries }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { __type?: string; FailedEntryCount?: number },
  };
}

beforeAll(async () => {
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0, maxBacklogEntries: 2 });
  runtime.stores.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (held && context.commandName === 'PutItemCommand') await held;
      return next(args);
    },
    { step: 'initialize', name: 'holdIngestWrites' },
  );
});

afterAll(async () => {
  release();
  await runtime.stop();
});

describe('back-pressure on the local PutEvents endpoint', () => {
  test('It should answer ThrottlingException above its backlog bound, keep serving reads, and count every event once the SDK retries', async () => {
    // Prepare: ingest stalls on its writes.
    held = new Promise<void>((resolve) => {
      release = () => {
        held = undefined;
        resolve();
      };
    });

    // Act: a first call is taken (nothing waits); the next one finds three entries waiting.
    const first = await putEventsOnce([entry('a'), entry('b'), entry('c')]);
    const refused = await putEventsOnce([entry('d')]);

    // Assess: refused whole, as EventBridge throttles; status answers during the stall and says behind.
    expect(first).toMatchObject({ status: 200, body: { FailedEntryCount: 0 } });
    expect(refused).toMatchObject({ status: 400, body: { __type: 'ThrottlingException' } });
    const status = PipelineStatus.parse(await (await fetch(`${runtime.url}/api/status`)).json());
    expect(status.backlog?.entries).toBe(3);
    expect(status.staleReasons.map((reason) => reason.code)).toContain('ingest_behind');

    // Act: the SDK retries its throttled call while the drain catches up.
    const throttledBefore = runtime.totals.throttled;
    const apps = eventBridgeClient(runtime.url);
    const retried = apps.send(new PutEventsCommand({ Entries: [entry('d'), entry('e')] }));
    await vi.waitFor(() => expect(runtime.totals.throttled).toBeGreaterThan(throttledBefore), {
      timeout: 10_000,
    });
    release();
    const answer = await retried;
    await runtime.drained();
    apps.destroy();

    // Assess: every acknowledged event counted once; nothing waits any more.
    expect(answer.FailedEntryCount).toBe(0);
    expect(runtime.totals).toMatchObject({ accepted: 5, duplicates: 0, quarantined: 0, deadLettered: 0 });
    const after = PipelineStatus.parse(await (await fetch(`${runtime.url}/api/status`)).json());
    expect(after.backlog).toEqual({ entries: 0, oldestArrivedAt: null });
  });
});
