import { describe, expect, test } from 'vitest';
import demo from '../../../../config/demo.config.js';
import type { NorthstarConfigInput } from '../../../../shared/domain/config/schema.js';
import { parseConfig } from '../../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../../shared/domain/engine/compiled-config.js';

const defIdsOf = (change: (draft: NorthstarConfigInput) => void = () => {}) => {
  const draft: NorthstarConfigInput = structuredClone(demo);
  change(draft);
  return compileConfig(parseConfig(draft)).defIds;
};

describe('definition versions', () => {
  test('It should keep every version when only owners, titles, cadences and targets change', () => {
    const edited = defIdsOf((draft) => {
      const metric = draft.metrics.weekly_signups!;
      draft.metrics.weekly_signups = {
        ...metric,
        title: 'Sign-ups per week',
        cadence: 'monthly',
        owner: { name: 'Someone else', contact: 'else@example.com' },
        target: { value: 1, by: '2030-01-01', direction: 'decrease' },
      } as typeof metric;
    });
    expect(edited).toEqual(defIdsOf());
  });

  test('It should start a new version of a metric and of the ratios over it when its definition changes', () => {
    const before = defIdsOf();
    const after = defIdsOf((draft) => {
      const metric = draft.metrics.weekly_signups as { events: string[] };
      metric.events = ['signed_up', 'page_viewed'];
    });
    expect(after['metric:weekly_signups']).not.toBe(before['metric:weekly_signups']);
    expect(after['metric:signup_rate']).not.toBe(before['metric:signup_rate']);
    expect(after['metric:weekly_learners']).toBe(before['metric:weekly_learners']);
  });

  test('It should start a new version of a funnel conversion when its funnel changes', () => {
    const before = defIdsOf();
    const after = defIdsOf((draft) => {
      draft.funnels!.activation!.window = 'P30D';
    });
    expect(after['funnel:activation']).not.toBe(before['funnel:activation']);
    expect(after['metric:activation_rate']).not.toBe(before['metric:activation_rate']);
  });
});
