/** Ids of the lint rules, in the order reported; acknowledgements in the configuration name them. */
export const LINT_RULE_IDS = [
  'north-star-inflatable',
  'north-star-counts-events',
  'north-star-no-target',
  'no-guardrail',
  'metric-unreachable',
  'owner-team-implicit',
  'cadence-finer-than-grain',
  'definition-unreadable',
  'target-date-past',
  'duplicate-definition',
  'thin-history',
] as const;
export type LintRuleId = (typeof LINT_RULE_IDS)[number];
