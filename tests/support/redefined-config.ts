import demo from '../../config/demo.config.js';
import { parseConfig } from '../../shared/domain/config/validate.js';

const grains = ['day', 'week', 'month'] as const;

/** The demo configuration without hourly counters, as the runtime tests start it. */
export const demoDays = parseConfig({ ...demo, grains: [...grains] });

/** The same with a filter changed and a metric added: two definitions to backfill (and the ratio over the first). */
export const redefined = parseConfig({
  ...demo,
  grains: [...grains],
  metrics: {
    ...demo.metrics,
    weekly_visitors: { ...demo.metrics.weekly_visitors, where: { channel: 'paid' } },
    certified_learners: {
      ...demo.metrics.weekly_learners,
      title: 'Certified learners',
      definition: 'Distinct users with a course_completed event with a certificate in the ISO week.',
      where: { certificate: true },
      parent: 'weekly_learners',
      target: undefined,
    },
  },
});
