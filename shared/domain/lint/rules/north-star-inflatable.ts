import type { NorthstarConfig } from '../../config/schema.js';
import type { LintRule } from '../rule.js';

/** Event names of visits, installs and sign-ups: counts that spend, not value, moves. */
const TOP_OF_FUNNEL =
  /(^|_)(page|screen)s?_?view(ed|s)?($|_)|(^|_)visit(ed|s)?($|_)|sign(ed)?_?up|regist(er|ered|ration)|(^|_)install(ed|s)?($|_)|account_created|(^|_)session(s|_started)?($|_)|app_opened/;

/** Events that open the funnels or the first journey stage: where every user starts. */
function entryEvents(config: NorthstarConfig): Set<string> {
  const entries = new Set<string>();
  for (const funnel of Object.values(config.funnels)) if (funnel.steps[0]) entries.add(funnel.steps[0].event);
  for (const event of config.journey?.stages[0]?.events ?? []) entries.add(event);
  return entries;
}

export const northStarInflatable: LintRule = {
  id: 'north-star-inflatable',
  severity: 'error',
  title: 'The north star counts a top-of-funnel or registration event',
  why: 'Visits, installs and sign-ups grow with marketing spend and bots whether or not anyone gets value; a team that chases them ships acquisition, not product.',
  fix: 'Count the users who reached the moment of value (completed a course, sent a message, paid again), or keep sign-ups as a child metric of a value north star.',
  check({ config }) {
    const metric = config.metrics[config.northStar];
    if (!metric || !(metric.kind === 'count' || metric.kind === 'distinct_users' || metric.kind === 'sum'))
      return [];
    // Returning users, or users with several events, are not raw sign-ups.
    if (metric.users === 'returning' || (metric.kind === 'distinct_users' && (metric.minEvents ?? 1) > 1))
      return [];
    const entries = entryEvents(config);
    const inflatable = metric.events.filter((event) => TOP_OF_FUNNEL.test(event) || entries.has(event));
    if (inflatable.length === 0) return [];
    return [
      {
        metric: config.northStar,
        path: `metrics.${config.northStar}.events`,
        message: `the north star "${config.northStar}" is a ${metric.kind} of ${inflatable.map((event) => `"${event}"`).join(', ')}, where users start, not where they get value`,
      },
    ];
  },
};
