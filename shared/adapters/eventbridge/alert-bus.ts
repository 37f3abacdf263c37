import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DeviationAlert } from '../../domain/alerts/deviation-alert.js';
import {
  DEVIATION_DETECTED,
  DEVIATION_RESOLVED,
  LEVEL_SHIFT,
  NORTHSTAR_SOURCE,
  REVIEW_DIGEST,
  TARGET_OFF_TRACK,
} from '../../domain/bus/rule-patterns.js';
import { NorthstarError } from '../../domain/errors.js';
import type { ReviewDigest } from '../../domain/review/review-digest.js';
import type { AlertBus } from '../../ports/alert-bus.js';

const DETAIL_TYPES: Record<DeviationAlert['kind'], string> = {
  detected: DEVIATION_DETECTED,
  resolved: DEVIATION_RESOLVED,
  target_off_track: TARGET_OFF_TRACK,
  level_shift: LEVEL_SHIFT,
};

export class AlertPublishError extends NorthstarError {
  override readonly name = 'AlertPublishError';

  constructor(message: string) {
    super('alert_publish_failed', message);
  }
}

/** Sends alerts with PutEvents, 10 entries a call; a failed entry fails the call so it is retried. */
export class EventBridgeAlertBus implements AlertBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  publish(alerts: readonly DeviationAlert[]): Promise<void> {
    return this.put(
      alerts.map((alert) => ({ detailType: DETAIL_TYPES[alert.kind], detail: alert })),
      'alert',
    );
  }

  publishDigests(digests: readonly ReviewDigest[]): Promise<void> {
    return this.put(
      digests.map((digest) => ({ detailType: REVIEW_DIGEST, detail: digest })),
      'digest',
    );
  }

  private async put(events: readonly { detailType: string; detail: unknown }[], what: string): Promise<void> {
    for (let start = 0; start < events.length; start += 10) {
      const chunk = events.slice(start, start + 10);
      const result = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((event) => ({
            EventBusName: this.busName,
            Source: NORTHSTAR_SOURCE,
            DetailType: event.detailType,
            Detail: JSON.stringify(event.detail),
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const reasons = (result.Entries ?? [])
          .filter((entry) => entry.ErrorCode)
          .map((entry) => `${entry.ErrorCode}: ${entry.ErrorMessage}`);
        throw new AlertPublishError(
          `${result.FailedEntryCount} ${what} events were not accepted: ${reasons.join('; ')}`,
        );
      }
    }
  }
}
