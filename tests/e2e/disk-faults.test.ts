import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { config } from '../support/daily-activity.js';

let parent: string;
let runtime: Runtime;

beforeAll(async () => {
  parent = await mkdtemp(join(tmpdir(), 'northstar-disk-'));
  runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0, dataDir: join(parent, 'data') });
});

afterAll(async () => {
  await runtime.stop();
  await rm(parent, { recursive: true, force: true });
});

const signup = (eventId: string): PutEventsRequestEntry => ({
  Source: 'app.web',
  DetailType: 'signed_up',
  Detail: JSON.stringify({ eventId, userId: `user-${eventId}`, occurredAt: new Date().toISOString() }),
});

/** One attempt per call: the test sees each answer, not the SDK's retries. */
const apps = () =>
  new EventBridgeClient({
    endpoint: runtime.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

describe('local runtime disk faults', () => {
  test('It should refuse entries while its data directory is away, keep serving, and take them again once it is back', async () => {
    // Prepare
    const client = apps();
    await client.send(new PutEventsCommand({ Entries: [signup('before')] }));

    // Act: the directory goes away (an unmounted disk, a mistaken move), then comes back.
    await rename(join(parent, 'data'), join(parent, 'away'));
    const refused = client.send(new PutEventsCommand({ Entries: [signup('during')] }));
    await expect(refused).rejects.toThrow(/data directory was removed or replaced/);
    const status = await fetch(`${runtime.url}/api/status`);
    await rename(join(parent, 'away'), join(parent, 'data'));
    const resent = await client.send(new PutEventsCommand({ Entries: [signup('during'), signup('after')] }));
    await runtime.drained();

    // Assess: reads went on; every acknowledged event counted once, the refused one once resent.
    expect(status.status).toBe(200);
    expect(resent.FailedEntryCount).toBe(0);
    expect(runtime.totals).toMatchObject({ accepted: 3, duplicates: 0, deadLettered: 0 });
    client.destroy();
  });

  test('It should refuse entries, not exit, once its data directory is deleted', async () => {
    const client = apps();
    await rm(join(parent, 'data'), { recursive: true, force: true });
    await expect(client.send(new PutEventsCommand({ Entries: [signup('lost')] }))).rejects.toThrow(
      /data directory was removed or replaced/,
    );
    expect((await fetch(`${runtime.url}/api/status`)).status).toBe(200);
    client.destroy();
  });
});
