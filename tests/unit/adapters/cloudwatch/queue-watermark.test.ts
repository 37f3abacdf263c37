import { CloudWatchClient, type GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { describe, expect, test } from 'vitest';
import { queueWatermark } from '../../../../shared/adapters/cloudwatch/queue-watermark.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const MINUTE = 60_000;

/** CloudWatch has no local counterpart: the client answers GetMetricData as the test says, and keeps what it was asked. */
function cloudWatch(answer: { Values?: number[]; Timestamps?: Date[] } | undefined) {
  const asked: GetMetricDataCommandInput[] = [];
  const client = new CloudWatchClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  client.middlewareStack.add(
    () => async (args) => {
      asked.push(args.input as GetMetricDataCommandInput);
      return {
        output: { $metadata: {}, MetricDataResults: answer ? [{ Id: 'age', ...answer }] : [] },
        response: {},
      } as never;
    },
    { step: 'initialize', name: 'answerMetricData' },
  );
  return { client, asked };
}

describe('the ingest watermark from the queue', () => {
  test('It should be the arrival of the oldest message: the latest minute less the age it reported', async () => {
    const { client, asked } = cloudWatch({
      Values: [1800, 1740],
      Timestamps: [new Date(NOW - 2 * MINUTE), new Date(NOW - 3 * MINUTE)],
    });

    const watermark = await queueWatermark(client, 'northstar-ingest', () => NOW)();

    expect(watermark).toBe(NOW - 2 * MINUTE - 1800 * 1000);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        {
          MetricStat: {
            Metric: {
              Namespace: 'AWS/SQS',
              MetricName: 'ApproximateAgeOfOldestMessage',
              Dimensions: [{ Name: 'QueueName', Value: 'northstar-ingest' }],
            },
            Stat: 'Maximum',
          },
        },
      ],
    });
    expect(asked[0]!.EndTime).toEqual(new Date(NOW));
  });

  test('It should say nothing waits when the queue is empty or idle', async () => {
    for (const answer of [
      { Values: [0], Timestamps: [new Date(NOW - MINUTE)] },
      { Values: [], Timestamps: [] },
      undefined,
    ])
      expect(await queueWatermark(cloudWatch(answer).client, 'q', () => NOW)()).toBeUndefined();
  });
});
