import type { NorthstarConfig } from '../config/schema.js';

export type LintSeverity = 'error' | 'warning';

/** What a rule looks at: the parsed configuration, what was written, the day, and history where known. */
export interface LintContext {
  readonly config: NorthstarConfig;
  /** The configuration as written, before defaults: tells a field left out from one set to its default. */
  readonly input?: unknown;
  /** Today in the configured time zone, `YYYY-MM-DD`. */
  readonly today: string;
  /** Each metric's typical value per period at its grain (median of recent settled periods), where known. */
  readonly volumes?: ReadonlyMap<string, number>;
}

/** One problem a rule found: where, and what exactly. */
export interface RuleFinding {
  /** The metric it is about; absent for a finding about the whole tree. */
  readonly metric?: string;
  /** The configuration path to change, e.g. `metrics.weekly_signups.definition`. */
  readonly path: string;
  readonly message: string;
}

/**
 * A lint rule: a pure check with an id, a severity, the reason it exists and how to fix
 * what it finds. `check` returns undefined when the context lacks what it needs (history).
 */
export interface LintRule {
  readonly id: string;
  readonly severity: LintSeverity;
  readonly title: string;
  readonly why: string;
  readonly fix: string;
  /** What `check` needs beyond the parsed configuration, when it may return undefined. */
  readonly needs?: string;
  check(context: LintContext): RuleFinding[] | undefined;
}

/** The metrics of a configuration with their ids, in the written order. */
export function metricsOf(config: NorthstarConfig): [string, NorthstarConfig['metrics'][string]][] {
  return Object.entries(config.metrics);
}
