import type { CallTally } from './tracking-api.js';

/** The service dimension of the collector function's metrics (namespace `Northstar`). */
export const COLLECTOR_SERVICE = 'northstar-collector';

/** The metric each tally field is published as; the alarms and the dashboard read the same names. */
export const CALL_METRICS: Readonly<Record<keyof CallTally, string>> = {
  calls: 'Calls',
  refusedCalls: 'CallsRefused',
  events: 'EventsCollected',
  entriesPut: 'EntriesPut',
  entriesRetried: 'EntriesRetried',
  entriesKept: 'EntriesKept',
};

/** The service dimension of the packer's metrics, between the collector's queue and the bus. */
export const PACKER_SERVICE = 'northstar-collector-packer';

export const PACKER_METRICS = {
  messages: 'MessagesPacked',
  events: 'EventsPacked',
  entriesPut: 'EntriesPut',
  messagesFailed: 'MessagesFailed',
} as const;
