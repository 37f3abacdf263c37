import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { attribute, type ChildValue } from '../../../../shared/domain/engine/attribution.js';

const child = (metricId: string, observed: number | null, expected: number | null): ChildValue => ({
  metricId,
  observed,
  expected,
});

describe('attribute', () => {
  test('It should give the child that dropped 50% the whole move when its siblings stayed flat', () => {
    // Prepare
    const parent = { observed: 700, expected: 1000 };
    const children = [child('web_signups', 400, 400), child('ios_signups', 300, 600), child('android', 0, 0)];

    // Act
    const ranked = attribute(parent, children);

    // Assess
    expect(ranked[0]).toEqual({
      metricId: 'ios_signups',
      observed: 300,
      expected: 600,
      relativeDeviation: -0.5,
      share: 1,
    });
    expect(ranked.slice(1).map((entry) => entry.share)).toEqual([0, 0]);
  });

  test('It should give a child that moved the other way no share', () => {
    // Prepare: the parent fell; one child fell 40%, one fell 10%, one rose 30%
    const parent = { observed: 80, expected: 100 };
    const children = [child('rose', 130, 100), child('fell_a_little', 90, 100), child('fell_a_lot', 60, 100)];

    // Act
    const ranked = attribute(parent, children);

    // Assess
    expect(ranked.map(({ metricId, share }) => ({ metricId, share }))).toEqual([
      { metricId: 'fell_a_lot', share: expect.closeTo(0.8, 12) },
      { metricId: 'fell_a_little', share: expect.closeTo(0.2, 12) },
      { metricId: 'rose', share: 0 },
    ]);
    expect(ranked[2]?.relativeDeviation).toBeCloseTo(0.3, 12);
  });

  test('It should follow the parent upwards too', () => {
    // Prepare
    const parent = { observed: 150, expected: 100 };
    const children = [child('fell', 50, 100), child('rose', 200, 100)];

    // Act
    const ranked = attribute(parent, children);

    // Assess
    expect(ranked.map(({ metricId, share }) => [metricId, share])).toEqual([
      ['rose', 1],
      ['fell', 0],
    ]);
  });

  test('It should give no share to a child without both values or with nothing expected', () => {
    // Prepare
    const parent = { observed: 50, expected: 100 };
    const children = [
      child('no_observed', null, 100),
      child('no_expected', 10, null),
      child('zero_expected', 10, 0),
      child('dropped', 50, 100),
    ];

    // Act
    const ranked = attribute(parent, children);

    // Assess
    expect(ranked[0]).toMatchObject({ metricId: 'dropped', share: 1 });
    expect(ranked.slice(1)).toEqual([
      { metricId: 'no_expected', observed: 10, expected: null, relativeDeviation: null, share: 0 },
      { metricId: 'no_observed', observed: null, expected: 100, relativeDeviation: null, share: 0 },
      { metricId: 'zero_expected', observed: 10, expected: 0, relativeDeviation: null, share: 0 },
    ]);
  });

  test('It should give every child share 0 when the parent did not move', () => {
    // Prepare
    const parent = { observed: 100, expected: 100 };
    const children = [child('a', 50, 100), child('b', 150, 100)];

    // Act
    const ranked = attribute(parent, children);

    // Assess: ranked by the size of their own move
    expect(ranked.map(({ metricId, share }) => [metricId, share])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
  });

  test('It should rank equal shares by the size of the move, then by metric id', () => {
    // Prepare: the parent rose; none of the children did
    const parent = { observed: 120, expected: 100 };
    const children = [child('c', 100, 100), child('b', 70, 100), child('a', 100, 100), child('d', null, 100)];

    // Act
    const ranked = attribute(parent, children);

    // Assess
    expect(ranked.map((entry) => entry.metricId)).toEqual(['b', 'a', 'c', 'd']);
  });

  test('It should keep ties stable: the same ranking whatever the order of the children', () => {
    // Prepare
    const parent = { observed: 50, expected: 100 };
    const children = [child('x', 50, 100), child('y', 50, 100), child('z', 75, 100), child('w', 100, 100)];

    // Act
    const forwards = attribute(parent, children);
    const backwards = attribute(parent, [...children].reverse());

    // Assess
    expect(forwards.map((entry) => entry.metricId)).toEqual(['x', 'y', 'z', 'w']);
    expect(backwards).toEqual(forwards);
    expect(forwards.map((entry) => entry.share)).toEqual([0.4, 0.4, 0.2, 0]);
  });

  test('It should keep children with the same id in their given order', () => {
    // Prepare
    const parent = { observed: 50, expected: 100 };
    const first = { metricId: 'same', observed: 50, expected: 100, note: 'first' };
    const second = { metricId: 'same', observed: 50, expected: 100, note: 'second' };

    // Act
    const ranked = attribute(parent, [first, second]);

    // Assess
    expect(ranked).toHaveLength(2);
    expect(ranked.map((entry) => entry.share)).toEqual([0.5, 0.5]);
  });

  test('It should return nothing for a metric without children', () => {
    // Assess
    expect(attribute({ observed: 50, expected: 100 }, [])).toEqual([]);
  });

  test('It should give shares between 0 and 1 that sum to 1 or are all 0, ranked from the largest', () => {
    const aValue = fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), {
      nil: null,
      freq: 6,
    });
    const aChild = fc.record({ metricId: fc.string({ maxLength: 4 }), observed: aValue, expected: aValue });
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.array(aChild, { maxLength: 12 }),
        (observed, expected, children) => {
          // Act
          const ranked = attribute({ observed, expected }, children);

          // Assess
          expect(ranked).toHaveLength(children.length);
          const shares = ranked.map((entry) => entry.share);
          expect(shares.every((share) => share >= 0 && share <= 1)).toBe(true);
          const total = shares.reduce((sum, share) => sum + share, 0);
          expect(total === 0 || Math.abs(total - 1) < 1e-9).toBe(true);
          expect([...shares].sort((a, b) => b - a)).toEqual(shares);
          expect(
            attribute({ observed, expected }, [...children].reverse()).map((entry) => entry.share),
          ).toEqual(shares);
        },
      ),
    );
  });
});
