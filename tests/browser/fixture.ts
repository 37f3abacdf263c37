import { PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type Runtime, startRuntime } from '../../local/runtime.js';
import { eventBridgeClient } from '../../shared/compose/clients.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import {
  FIRST_MONDAY,
  iso,
  smallProductConfig,
  smallProductWeek,
  WEEKS,
  wednesday,
} from '../support/small-product.js';
import { type Browser, launchChromium } from './chromium.js';

/** The small product, with a daily metric for the grain pickers. */
export const fixtureConfig = parseConfig({
  ...smallProductConfig,
  metrics: {
    ...smallProductConfig.metrics,
    daily_visits: {
      kind: 'count',
      title: 'Daily visits',
      definition: 'Visits in the day.',
      events: ['visited'],
      grain: 'day',
      cadence: 'daily',
      parent: 'weekly_visits',
      owner: smallProductConfig.metrics.weekly_learners.owner,
    },
  },
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Monday 01:01 after the last week: every week and day of it has settled. */
export const FIXTURE_NOW = FIRST_MONDAY + WEEKS * 7 * DAY + HOUR + MINUTE;

/** Two bad events of the last week: an unknown name and one without a user. */
function badEntries(): PutEventsRequestEntry[] {
  const at = iso(wednesday(WEEKS - 1) + 9 * HOUR);
  return [
    {
      Source: 'app.web',
      DetailType: 'teleported',
      Detail: JSON.stringify({ eventId: 'bad-1', userId: 'x', occurredAt: at }),
    },
    {
      Source: 'app.web',
      DetailType: 'visited',
      Detail: JSON.stringify({ eventId: 'bad-2', occurredAt: at }),
    },
  ];
}

export interface FixtureRuntime {
  readonly runtime: Runtime;
  stop(): Promise<void>;
}

/**
 * The local runtime with a fixed clock and five weeks of events sent through its
 * PutEvents endpoint with the real EventBridge client, each week recomputed once settled.
 * With a `token`, the runtime requires it and the client signs with it.
 */
export async function startFixtureRuntime(
  options: {
    token?: string;
    /** In place of the fixture's configuration (with a calendar, say). */
    config?: NorthstarConfig;
    /** The last week also sends entries the plan refuses, for the quarantine page. @default true */
    badEntries?: boolean;
  } = {},
): Promise<FixtureRuntime> {
  let now = FIRST_MONDAY;
  const runtime = await startRuntime({
    config: options.config ?? fixtureConfig,
    port: 0,
    clock: () => now,
    recomputeEveryMs: 0,
    ...(options.token ? { token: options.token } : {}),
  });
  const apps = eventBridgeClient(runtime.url, options.token);
  try {
    for (let week = 0; week < WEEKS; week++) {
      now = wednesday(week) + 12 * HOUR;
      const entries: PutEventsRequestEntry[] = [
        {
          Source: 'app.web',
          DetailType: BATCH_DETAIL_TYPE,
          Detail: JSON.stringify({ events: smallProductWeek(week) }),
        },
        ...(week === WEEKS - 1 && options.badEntries !== false ? badEntries() : []),
      ];
      const answer = await apps.send(new PutEventsCommand({ Entries: entries }));
      if ((answer.FailedEntryCount ?? 0) > 0)
        throw new Error(`PutEvents refused ${answer.FailedEntryCount} entries`);
      await runtime.drained();
      now = week === WEEKS - 1 ? FIXTURE_NOW : FIRST_MONDAY + (week + 1) * 7 * DAY + HOUR + MINUTE;
      await runtime.recomputeNow();
    }
  } catch (error) {
    apps.destroy();
    await runtime.stop();
    throw error;
  }
  return {
    runtime,
    async stop() {
      apps.destroy();
      await runtime.stop();
    },
  };
}

/**
 * The fixture runtime and a headless Chromium, started together. Whichever failed (no
 * chromium, most likely) is reported; the other is not left running.
 */
export async function startFixtureAndBrowser(
  options: { token?: string } = {},
): Promise<{ fixture: FixtureRuntime; browser: Browser }> {
  const [started, launched] = await Promise.allSettled([startFixtureRuntime(options), launchChromium()]);
  if (started.status === 'rejected' || launched.status === 'rejected') {
    if (started.status === 'fulfilled') await started.value.stop();
    if (launched.status === 'fulfilled') await launched.value.close();
    throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
  }
  return { fixture: started.value, browser: launched.value };
}
