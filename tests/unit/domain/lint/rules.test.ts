import { describe, expect, test } from 'vitest';
import type { NorthstarConfigInput } from '../../../../shared/domain/config/schema.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { LINT_RULES, lintConfig } from '../../../../shared/domain/lint/lint.js';
import { LINT_RULE_IDS } from '../../../../shared/domain/lint/rule-ids.js';

const TODAY = '2026-12-03';
const owner = (team: string) => ({ name: `Team ${team}`, contact: `${team}@example.com`, team });

/** A tree every rule passes: a value north star with a target, a guardrail, children in the tree. */
type LooseConfig = Record<string, unknown> & { metrics: Record<string, Record<string, unknown>> };

function compliant(): LooseConfig {
  const config: NorthstarConfigInput = {
    trackingPlan: {
      events: {
        page_viewed: {},
        signed_up: {},
        course_completed: {},
        refund_issued: {},
      },
    },
    funnels: {
      activation: {
        title: 'Activation',
        steps: [{ event: 'page_viewed' }, { event: 'course_completed' }],
        window: 'P14D',
      },
    },
    metrics: {
      weekly_learners: {
        kind: 'distinct_users',
        title: 'Weekly learners',
        definition: 'Distinct users with at least one course_completed event in the ISO week.',
        events: ['course_completed'],
        grain: 'week',
        cadence: 'weekly',
        owner: owner('learning'),
        target: { value: 500, by: '2027-03-31', direction: 'increase' },
      },
      weekly_signups: {
        kind: 'count',
        title: 'Weekly sign-ups',
        definition: 'Number of signed_up events in the ISO week, one per account created.',
        events: ['signed_up'],
        grain: 'week',
        cadence: 'weekly',
        parent: 'weekly_learners',
        owner: owner('growth'),
      },
      weekly_refunds: {
        kind: 'count',
        title: 'Weekly refunds',
        definition:
          'Number of refund_issued events in the ISO week: learners who asked for their money back.',
        events: ['refund_issued'],
        grain: 'week',
        cadence: 'weekly',
        guardrail: true,
        owner: owner('revenue'),
      },
    },
    northStar: 'weekly_learners',
  };
  return structuredClone(config) as unknown as LooseConfig;
}

function findings(input: unknown, volumes?: ReadonlyMap<string, number>) {
  const config = parseConfig(input);
  return lintConfig({ config, input, today: TODAY, ...(volumes ? { volumes } : {}) }).findings;
}

const ruleIds = (input: unknown, volumes?: ReadonlyMap<string, number>) =>
  findings(input, volumes).map((finding) => finding.rule);

describe('north-star lint rules', () => {
  test('It should list every rule once, in the order of its ids, each with a why and a fix', () => {
    expect(LINT_RULES.map((rule) => rule.id)).toEqual([...LINT_RULE_IDS]);
    for (const rule of LINT_RULES) {
      expect(rule.why.length, rule.id).toBeGreaterThan(40);
      expect(rule.fix.length, rule.id).toBeGreaterThan(20);
    }
  });

  test('Compliance: It should find nothing in a tree that follows every rule', () => {
    expect(
      findings(
        compliant(),
        new Map([
          ['weekly_learners', 500],
          ['weekly_signups', 900],
          ['weekly_refunds', 60],
        ]),
      ),
    ).toEqual([]);
  });

  test('north-star-inflatable: a north star of sign-ups or of a funnel entry grows with spend, not value', () => {
    const signups = compliant();
    signups.northStar = 'weekly_signups';
    delete signups.metrics.weekly_signups!.parent;
    signups.metrics.weekly_learners!.parent = 'weekly_signups';
    signups.metrics.weekly_signups!.target = { value: 900, by: '2027-03-31', direction: 'increase' };
    expect(findings(signups).filter((finding) => finding.rule === 'north-star-inflatable')).toEqual([
      expect.objectContaining({
        severity: 'error',
        metric: 'weekly_signups',
        path: 'metrics.weekly_signups.events',
      }),
    ]);
    // A funnel's first step is an entry, whatever its name.
    const entry = compliant();
    entry.funnels = {
      activation: {
        title: 'A',
        steps: [{ event: 'course_completed' }, { event: 'refund_issued' }],
        window: 'P7D',
      },
    };
    expect(ruleIds(entry)).toContain('north-star-inflatable');
    // Returning users of an entry event are not raw sign-ups.
    entry.metrics.weekly_learners!.users = 'returning';
    expect(ruleIds(entry)).not.toContain('north-star-inflatable');
  });

  test('north-star-counts-events: a count or a sum moves with heavy users, not with users served', () => {
    const counted = compliant();
    counted.metrics.weekly_learners!.kind = 'count';
    expect(findings(counted).find((finding) => finding.rule === 'north-star-counts-events')).toMatchObject({
      severity: 'warning',
      path: 'metrics.weekly_learners.kind',
    });
  });

  test('north-star-no-target: without a key result nobody knows the pace', () => {
    const untargeted = compliant();
    delete untargeted.metrics.weekly_learners!.target;
    expect(ruleIds(untargeted)).toEqual(['north-star-no-target']);
  });

  test('no-guardrail: nothing watches what the north star might cost users', () => {
    const unguarded = compliant();
    unguarded.metrics.weekly_refunds!.parent = 'weekly_learners';
    delete unguarded.metrics.weekly_refunds!.guardrail;
    expect(ruleIds(unguarded)).toEqual(['no-guardrail']);
  });

  test('metric-unreachable: a root that is neither the north star nor a guardrail steers nothing', () => {
    const loose = compliant();
    delete loose.metrics.weekly_signups!.parent;
    expect(findings(loose)).toEqual([
      expect.objectContaining({
        rule: 'metric-unreachable',
        metric: 'weekly_signups',
        path: 'metrics.weekly_signups.parent',
      }),
    ]);
  });

  test('owner-team-implicit: a team left to a slug of the name moves when the owner is renamed', () => {
    const implicit = compliant();
    implicit.metrics.weekly_signups!.owner = { name: 'Growth', contact: 'growth@example.com' };
    expect(findings(implicit)).toEqual([
      expect.objectContaining({
        rule: 'owner-team-implicit',
        metric: 'weekly_signups',
        path: 'metrics.weekly_signups.owner.team',
      }),
    ]);
    // Without the configuration as written the rule cannot tell, and says so.
    const report = lintConfig({ config: parseConfig(implicit), today: TODAY });
    expect(report.notChecked.map((rule) => rule.rule)).toContain('owner-team-implicit');
  });

  test('cadence-finer-than-grain: a daily review of a weekly number finds nothing new', () => {
    const daily = compliant();
    daily.metrics.weekly_signups!.cadence = 'daily';
    expect(ruleIds(daily)).toEqual(['cadence-finer-than-grain']);
    daily.metrics.weekly_signups!.grain = 'day';
    expect(ruleIds(daily)).toEqual([]);
  });

  test('definition-unreadable: a few words, or no event named, leave a reader guessing', () => {
    const terse = compliant();
    terse.metrics.weekly_signups!.definition = 'Sign-ups per week.';
    expect(findings(terse)).toEqual([
      expect.objectContaining({
        rule: 'definition-unreadable',
        message: 'the definition of "weekly_signups" has 3 words and names none of its events (signed_up)',
      }),
    ]);
  });

  test('target-date-past: a key result past its date measures nothing', () => {
    const stale = compliant();
    stale.metrics.weekly_learners!.target = { value: 500, by: '2026-09-30', direction: 'increase' };
    expect(findings(stale)).toEqual([
      expect.objectContaining({
        rule: 'target-date-past',
        severity: 'error',
        path: 'metrics.weekly_learners.target.by',
      }),
    ]);
    stale.metrics.weekly_learners!.target = { value: 500, by: TODAY, direction: 'increase' };
    expect(ruleIds(stale)).toEqual([]);
  });

  test('duplicate-definition: two names for one number double its alerts', () => {
    const twice = compliant();
    twice.metrics.signups_again = {
      ...twice.metrics.weekly_signups,
      title: 'Sign-ups, again',
      owner: owner('marketing'),
    };
    expect(findings(twice)).toEqual([
      expect.objectContaining({
        rule: 'duplicate-definition',
        metric: 'signups_again',
        message: '"signups_again" counts exactly what "weekly_signups" counts',
      }),
    ]);
    // Another filter is another number.
    twice.metrics.signups_again!.events = ['page_viewed'];
    twice.metrics.signups_again!.definition =
      'Number of page_viewed events in the ISO week, one per page shown.';
    expect(ruleIds(twice)).toEqual([]);
  });

  test('thin-history: below (2 x countNoise)^2 a period, a halving stays inside the band', () => {
    const config = compliant();
    const volumes = new Map([
      ['weekly_learners', 500],
      ['weekly_signups', 30],
      ['weekly_refunds', 36],
    ]);
    expect(findings(config, volumes)).toEqual([
      expect.objectContaining({
        rule: 'thin-history',
        metric: 'weekly_signups',
        path: 'metrics.weekly_signups.grain',
      }),
    ]);
    // A ratio is as thin as its denominator.
    config.metrics.refund_rate = {
      kind: 'ratio',
      title: 'Refund rate',
      definition: 'Weekly refunds over weekly sign-ups: the share of new accounts that asked for money back.',
      numerator: 'weekly_refunds',
      denominator: 'weekly_signups',
      grain: 'week',
      cadence: 'weekly',
      parent: 'weekly_refunds',
      owner: owner('revenue'),
    };
    expect(findings(config, volumes).map((finding) => finding.metric)).toEqual([
      'weekly_signups',
      'refund_rate',
    ]);
    // Without history the rule does not guess.
    expect(lintConfig({ config: parseConfig(config), input: config, today: TODAY }).notChecked).toEqual([
      { rule: 'thin-history', needs: expect.stringContaining('--history') },
    ]);
  });

  test('Acknowledgements: It should keep an acknowledged finding with its reason and not count it', () => {
    const config = compliant();
    delete config.metrics.weekly_learners!.target;
    delete config.metrics.weekly_signups!.parent;
    config.lint = {
      acknowledge: [
        { rule: 'north-star-no-target', reason: 'The objective for next quarter is still being agreed.' },
        {
          rule: 'metric-unreachable',
          metrics: ['weekly_learners'],
          reason: 'Covers another metric than the finding.',
        },
      ],
    };
    const report = lintConfig({ config: parseConfig(config), input: config, today: TODAY });
    expect(report.findings.map((finding) => [finding.rule, finding.acknowledged])).toEqual([
      ['north-star-no-target', 'The objective for next quarter is still being agreed.'],
      ['metric-unreachable', undefined],
    ]);
    expect(report).toMatchObject({ errors: 0, warnings: 1, acknowledged: 1 });
  });

  test('Acknowledgements: It should refuse an unknown rule, an unknown metric and a missing reason by their paths', () => {
    const config = compliant();
    config.lint = {
      acknowledge: [
        { rule: 'no-guardrails', metrics: ['weekly_learnerz'], reason: 'Because the demo has none at all.' },
      ],
    };
    expect(() => parseConfig(config)).toThrow(
      expect.objectContaining({
        issues: [
          {
            path: 'lint.acknowledge[0].rule',
            message: expect.stringContaining('unknown lint rule "no-guardrails"'),
          },
          { path: 'lint.acknowledge[0].metrics[0]', message: 'unknown metric "weekly_learnerz"' },
        ],
      }),
    );
    config.lint = { acknowledge: [{ rule: 'no-guardrail', reason: 'ok' }] };
    expect(() => parseConfig(config)).toThrow(
      expect.objectContaining({
        issues: [{ path: 'lint.acknowledge[0].reason', message: 'must say why in at least 20 characters' }],
      }),
    );
  });

  test("Fingerprints: It should keep a metric's version when it is marked a guardrail", async () => {
    const { compileConfig } = await import('../../../../shared/domain/engine/compiled-config.js');
    const config = compliant();
    const before = compileConfig(parseConfig(config)).defIds;
    delete config.metrics.weekly_refunds!.guardrail;
    expect(compileConfig(parseConfig(config)).defIds).toEqual(before);
  });
});
