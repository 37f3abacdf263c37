import { digestSubject, renderDigestText } from '../../shared/domain/review/digest-text.js';
import type { DigestMetric, ReviewDigest } from '../../shared/domain/review/review-digest.js';

/** A weekly digest of one metric, its text rendered by the real renderer. */
export function sampleDigest(overrides: { team?: string; title?: string } = {}): ReviewDigest {
  const team = overrides.team ?? 'growth';
  const metric: DigestMetric = {
    id: 'weekly_signups',
    title: overrides.title ?? 'Weekly sign-ups',
    kind: 'count',
    definition: 'Distinct users who sent signed_up in the ISO week',
    definitionVersion: 'v1',
    grain: 'week',
    period: '2026-W44',
    value: 120,
    previous: { period: '2026-W43', value: 100 },
    change: 0.2,
    expected: 104,
    band: { lower: 90, upper: 118 },
    status: 'above',
    relativeDeviation: 0.15,
    children: [],
    alerts: [],
    quarantined: 2,
    definitionChanges: [],
    link: 'https://northstar.example.com/#/metrics/weekly_signups',
  };
  const digest = {
    digestId: `${team}#weekly#2026-W44`,
    team,
    owners: ['Growth team'],
    cadence: 'weekly' as const,
    period: '2026-W44',
    periodStart: '2026-10-26T00:00:00.000Z',
    periodEnd: '2026-11-02T00:00:00.000Z',
    timeZone: 'UTC',
    generatedAt: '2026-11-02T01:01:00.000Z',
    metrics: [metric],
    freshness: {
      latestEventAt: '2026-11-01T23:59:00.000Z',
      committedAt: '2026-11-02T00:00:05.000Z',
      settledThrough: '2026-11-02T00:00:00.000Z',
    },
    quarantined: { all: 3, behindMetrics: 2 },
    subject: '',
    link: 'https://northstar.example.com/#/review/growth',
  };
  const withSubject = { ...digest, subject: digestSubject(digest) };
  return { ...withSubject, text: renderDigestText(withSubject) };
}
