import { describe, expect, test } from 'vitest';
import { latestAccepted } from '../../../shared/domain/freshness.js';

describe('latestAccepted', () => {
  test('It should take the event that arrived last, with the commit time of its batch', () => {
    const accepted = [
      { occurredAt: 500, arrivedAt: 1_000 },
      { occurredAt: 300, arrivedAt: 2_000 },
      { occurredAt: 900, arrivedAt: 1_500 },
    ];
    expect(latestAccepted(accepted, 2_500)).toEqual({
      occurredAt: 300,
      arrivedAt: 2_000,
      committedAt: 2_500,
    });
  });

  test('It should take the one that happened last among events that arrived together', () => {
    const accepted = [
      { occurredAt: 100, arrivedAt: 1_000 },
      { occurredAt: 700, arrivedAt: 1_000 },
      { occurredAt: 400, arrivedAt: 1_000 },
    ];
    expect(latestAccepted(accepted, 1_200)).toEqual({
      occurredAt: 700,
      arrivedAt: 1_000,
      committedAt: 1_200,
    });
  });

  test('It should have nothing to record for a batch that accepted no event', () => {
    expect(latestAccepted([], 1_000)).toBeUndefined();
  });
});
