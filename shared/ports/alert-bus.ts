import type { DeviationAlert } from '../domain/alerts/deviation-alert.js';

/** Where alerts go: the EventBridge bus in AWS and locally, a list in use-case tests. */
export interface AlertBus {
  publish(alerts: readonly DeviationAlert[]): Promise<void>;
}
