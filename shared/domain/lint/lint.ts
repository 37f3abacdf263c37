import type { LintAcknowledgement } from '../config/schema.js';
import type { LintContext, LintRule, LintSeverity, RuleFinding } from './rule.js';
import { cadenceFinerThanGrain } from './rules/cadence-finer-than-grain.js';
import { definitionUnreadable } from './rules/definition-unreadable.js';
import { duplicateDefinition } from './rules/duplicate-definition.js';
import { metricUnreachable } from './rules/metric-unreachable.js';
import { noGuardrail } from './rules/no-guardrail.js';
import { northStarCountsEvents } from './rules/north-star-counts-events.js';
import { northStarInflatable } from './rules/north-star-inflatable.js';
import { northStarNoTarget } from './rules/north-star-no-target.js';
import { ownerTeamImplicit } from './rules/owner-team-implicit.js';
import { targetDatePast } from './rules/target-date-past.js';
import { thinHistory } from './rules/thin-history.js';

/** Every rule, in the order of `LINT_RULE_IDS`. */
export const LINT_RULES: readonly LintRule[] = [
  northStarInflatable,
  northStarCountsEvents,
  northStarNoTarget,
  noGuardrail,
  metricUnreachable,
  ownerTeamImplicit,
  cadenceFinerThanGrain,
  definitionUnreadable,
  targetDatePast,
  duplicateDefinition,
  thinHistory,
];

export interface LintFinding extends RuleFinding {
  readonly rule: string;
  readonly severity: LintSeverity;
  readonly title: string;
  readonly why: string;
  readonly fix: string;
  /** The reason the configuration gives for accepting it; such a finding does not fail. */
  readonly acknowledged?: string;
}

export interface LintReport {
  readonly findings: readonly LintFinding[];
  /** Rules that could not run, with what they need. */
  readonly notChecked: readonly { readonly rule: string; readonly needs: string }[];
  /** Findings not acknowledged, by severity. */
  readonly errors: number;
  readonly warnings: number;
  readonly acknowledged: number;
}

function acknowledgementOf(
  acknowledgements: readonly LintAcknowledgement[],
  rule: string,
  finding: RuleFinding,
): LintAcknowledgement | undefined {
  return acknowledgements.find(
    (ack) =>
      ack.rule === rule &&
      (ack.metrics === undefined || (finding.metric !== undefined && ack.metrics.includes(finding.metric))),
  );
}

/** Runs every rule over a valid configuration; acknowledged findings are kept, marked with their reason. */
export function lintConfig(context: LintContext, rules: readonly LintRule[] = LINT_RULES): LintReport {
  const acknowledgements = context.config.lint.acknowledge;
  const findings: LintFinding[] = [];
  const notChecked: { rule: string; needs: string }[] = [];
  for (const rule of rules) {
    const found = rule.check(context);
    if (found === undefined) {
      notChecked.push({ rule: rule.id, needs: rule.needs ?? 'more than the configuration' });
      continue;
    }
    for (const finding of found) {
      const ack = acknowledgementOf(acknowledgements, rule.id, finding);
      findings.push({
        rule: rule.id,
        severity: rule.severity,
        title: rule.title,
        why: rule.why,
        fix: rule.fix,
        ...finding,
        ...(ack ? { acknowledged: ack.reason } : {}),
      });
    }
  }
  const open = findings.filter((finding) => finding.acknowledged === undefined);
  return {
    findings,
    notChecked,
    errors: open.filter((finding) => finding.severity === 'error').length,
    warnings: open.filter((finding) => finding.severity === 'warning').length,
    acknowledged: findings.length - open.length,
  };
}
