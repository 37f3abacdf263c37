import type { DeviationAlert } from '../domain/alerts/deviation-alert.js';
import type { ReviewDigest } from '../domain/review/review-digest.js';

/** Where alerts and review digests go: the EventBridge bus in AWS and locally, a list in use-case tests. */
export interface AlertBus {
  publish(alerts: readonly DeviationAlert[]): Promise<void>;
  /** `Metric Review Digest` events, routed per owner team as alerts are. */
  publishDigests(digests: readonly ReviewDigest[]): Promise<void>;
}
