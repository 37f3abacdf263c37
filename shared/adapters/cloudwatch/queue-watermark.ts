import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';

/** SQS publishes its metrics each minute, a few minutes late: the last datapoint of this span is the latest. */
const LOOKBACK_MS = 15 * 60_000;

/**
 * The ingest watermark on AWS: the arrival time of the oldest message in the ingest queue,
 * from its `ApproximateAgeOfOldestMessage` (the latest minute CloudWatch has); undefined when
 * the queue is empty or has been idle. A message in flight counts: it is not ingested yet.
 */
export function queueWatermark(
  client: CloudWatchClient,
  queueName: string,
  clock: () => number = Date.now,
): () => Promise<number | undefined> {
  return async () => {
    const now = clock();
    const answer = await client.send(
      new GetMetricDataCommand({
        StartTime: new Date(now - LOOKBACK_MS),
        EndTime: new Date(now),
        ScanBy: 'TimestampDescending',
        MetricDataQueries: [
          {
            Id: 'age',
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queueName }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          },
        ],
      }),
    );
    const result = answer.MetricDataResults?.[0];
    const ageSeconds = result?.Values?.[0];
    const at = result?.Timestamps?.[0];
    if (ageSeconds === undefined || at === undefined || ageSeconds <= 0) return undefined;
    // The datapoint's minute, less the age it reported then.
    return at.getTime() - ageSeconds * 1000;
  };
}
