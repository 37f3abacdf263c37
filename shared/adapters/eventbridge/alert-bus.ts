import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DEVIATION_DETECTED,
  DEVIATION_RESOLVED,
  NORTHSTAR_SOURCE,
  TARGET_OFF_TRACK,
} from '../../domain/bus/rule-patterns.js';
import type { TargetProgress } from '../../domain/engine/target-pace.js';

export interface AlertContributor {
  readonly metricId: string;
  readonly title: string;
  readonly observed: number | null;
  readonly expected: number | null;
  readonly relativeDeviation: number | null;
  readonly share: number;
}

/** The detail of a deviation alert event (SEMANTICS.md section 7). */
export interface DeviationAlert {
  /** Stable per (metric version, grain, period): consumers can drop repeats by it. */
  readonly alertId: string;
  readonly kind: 'detected' | 'resolved' | 'target_off_track';
  readonly metric: {
    readonly id: string;
    readonly title: string;
    readonly definitionVersion: string;
    readonly definition: string;
  };
  readonly grain: string;
  readonly period: string;
  readonly periodStart: string;
  readonly periodEnd: string;
  readonly observed: number | null;
  readonly expected: number;
  readonly band: { readonly lower: number; readonly upper: number };
  readonly relativeDeviation: number | null;
  readonly severity: 'warning' | 'critical' | null;
  readonly owner: { readonly name: string; readonly contact: string; readonly team: string };
  readonly contributors: readonly AlertContributor[];
  readonly link: string;
  /** With `target_off_track`: the key result and its pace. */
  readonly target?: {
    readonly value: number;
    readonly by: string;
    readonly direction: string;
  } & TargetProgress;
}

const DETAIL_TYPES: Record<DeviationAlert['kind'], string> = {
  detected: DEVIATION_DETECTED,
  resolved: DEVIATION_RESOLVED,
  target_off_track: TARGET_OFF_TRACK,
};

/** Where alerts go: the bus in AWS and locally, a list in tests of the recompute alone. */
export interface AlertBus {
  publish(alerts: readonly DeviationAlert[]): Promise<void>;
}

export class AlertPublishError extends Error {
  override readonly name = 'AlertPublishError';
  readonly reason = 'alert_publish_failed';
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
