import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { startRuntime } from '../local/runtime.js';
import { eventBridgeClient } from '../shared/compose/clients.js';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';

export interface LatencyResult {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;

/**
 * PutEvents to the number in the read API, through the local runtime: one new user's
 * `page_viewed` at a time with the real EventBridge client, then `/api/journey` polled until
 * its users at the first stage show that user. The journey's current distribution is read
 * from the counters, so it moves as soon as ingest has written them.
 */
export async function endToEndLatency(config: NorthstarConfig, samples: number): Promise<LatencyResult> {
  const runtime = await startRuntime({ config, port: 0, recomputeEveryMs: 0 });
  const client = eventBridgeClient(runtime.url);
  const stage = config.journey?.stages[0]?.id;
  const firstStageUsers = async () => {
    const response = await fetch(`${runtime.url}/api/journey`);
    const report = (await response.json()) as { stages: { id: string; currentUsers: number }[] };
    return report.stages.find((entry) => entry.id === stage)?.currentUsers ?? 0;
  };
  const times: number[] = [];
  try {
    for (let sample = 0; sample < samples; sample++) {
      const before = await firstStageUsers();
      const started = performance.now();
      await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'app.web',
              DetailType: 'page_viewed',
              Detail: JSON.stringify({
                eventId: `latency-${sample}`,
                userId: `latency-user-${sample}`,
                occurredAt: new Date().toISOString(),
                properties: { path: '/' },
              }),
            },
          ],
        }),
      );
      while ((await firstStageUsers()) <= before) await new Promise((resolve) => setTimeout(resolve, 1));
      times.push(performance.now() - started);
    }
  } finally {
    client.destroy();
    await runtime.stop();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { samples, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99) };
}
