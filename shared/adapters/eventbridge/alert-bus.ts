import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DeviationAlert } from '../../domain/alerts/deviation-alert.js';
import {
  DEVIATION_DETECTED,
  DEVIATION_RESOLVED,
  LEVEL_SHIFT,
  NORTHSTAR_SOURCE,
  TARGET_OFF_TRACK,
} from '../../domain/bus/rule-patterns.js';
import { NorthstarError } from '../../domain/errors.js';
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

  async publish(alerts: readonly DeviationAlert[]): Promise<void> {
    for (let start = 0; start < alerts.length; start += 10) {
      const chunk = alerts.slice(start, start + 10);
      const result = await this.client.send(
        new PutEventsCommand({
          Entries: chunk.map((alert) => ({
            EventBusName: this.busName,
            Source: NORTHSTAR_SOURCE,
            DetailType: DETAIL_TYPES[alert.kind],
            Detail: JSON.stringify(alert),
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const reasons = (result.Entries ?? [])
          .filter((entry) => entry.ErrorCode)
          .map((entry) => `${entry.ErrorCode}: ${entry.ErrorMessage}`);
        throw new AlertPublishError(
          `${result.FailedEntryCount} alert events were not accepted: ${reasons.join('; ')}`,
        );
      }
    }
  }
}
