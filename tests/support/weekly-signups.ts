import { defineConfig } from '../../shared/domain/config/define.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { type CompiledConfig, compileConfig } from '../../shared/domain/engine/compiled-config.js';

/** The smallest product: one count of sign-ups a week, its own north star; `extra` adds to the configuration. */
export function weeklySignups(extra: Partial<Parameters<typeof defineConfig>[0]> = {}): CompiledConfig {
  const config: NorthstarConfig = parseConfig(
    defineConfig({
      trackingPlan: { events: { signed_up: {} } },
      metrics: {
        weekly_signups: {
          kind: 'count',
          title: 'Weekly sign-ups',
          definition: 'Sign-ups in the ISO week.',
          events: ['signed_up'],
          grain: 'week',
          cadence: 'weekly',
          owner: { name: 'Growth', contact: 'growth@example.com' },
        },
      },
      northStar: 'weekly_signups',
      ...extra,
    }),
  );
  return compileConfig(config);
}

/** One count of sign-ups a day, its own north star; `extra` adds to the configuration (grains, calendar, lateness). */
export function dailySignups(extra: Partial<Parameters<typeof defineConfig>[0]> = {}): NorthstarConfig {
  return parseConfig(
    defineConfig({
      trackingPlan: { events: { signed_up: {} } },
      metrics: {
        daily_signups: {
          kind: 'count',
          title: 'Daily sign-ups',
          definition: 'Sign-ups in the day.',
          events: ['signed_up'],
          grain: 'day',
          cadence: 'daily',
          owner: { name: 'Growth', contact: 'growth@example.com' },
        },
      },
      northStar: 'daily_signups',
      ...extra,
    }),
  );
}
