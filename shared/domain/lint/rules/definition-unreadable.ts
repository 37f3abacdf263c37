import type { LintRule } from '../rule.js';
import { metricsOf } from '../rule.js';

const MIN_WORDS = 8;

export const definitionUnreadable: LintRule = {
  id: 'definition-unreadable',
  severity: 'warning',
  title: 'A definition too short to be read by someone outside the team',
  why: 'The definition is what an analyst, an executive or next year’s owner reads to trust the number: which users, which events, which period. A few words leave each of them to guess.',
  fix: `Write at least ${MIN_WORDS} words that name the events, the users counted and the period, e.g. "Distinct users with at least one course_completed event in the ISO week".`,
  check({ config }) {
    return metricsOf(config).flatMap(([id, metric]) => {
      const words = metric.definition.trim().split(/\s+/).filter(Boolean).length;
      const events = 'events' in metric ? metric.events : [];
      const namesEvent = events.length === 0 || events.some((event) => metric.definition.includes(event));
      const problems = [
        ...(words < MIN_WORDS ? [`has ${words} word${words === 1 ? '' : 's'}`] : []),
        ...(namesEvent ? [] : [`names none of its events (${events.join(', ')})`]),
      ];
      if (problems.length === 0) return [];
      return [
        {
          metric: id,
          path: `metrics.${id}.definition`,
          message: `the definition of "${id}" ${problems.join(' and ')}`,
        },
      ];
    });
  },
};
