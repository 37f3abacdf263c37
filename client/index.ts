export { TrackerError, type TrackerErrorCode } from './errors.js';
export {
  type BatchEvent,
  MAX_CALL_ENTRIES,
  MAX_ENTRY_BYTES,
  packBatchEntries,
  packCalls,
  packSingleEntries,
} from './pack-entries.js';
export { backoffDelay, DEFAULT_RETRY, isRetryableError, putEntries, type RetryPolicy } from './put-events.js';
export {
  createTracker,
  type Tracker,
  type TrackerClock,
  type TrackerOptions,
  type TrackerStats,
  type TrackOptions,
} from './tracker.js';
export type { EventName, EventProperties, PropertiesOf } from './tracking-plan-types.js';
export { uuid7, uuid7Generator, uuid7Time } from './uuid7.js';
