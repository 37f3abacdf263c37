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
