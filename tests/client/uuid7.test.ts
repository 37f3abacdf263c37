import { describe, expect, test } from 'vitest';
import { uuid7Generator, uuid7Time } from '../../client/uuid7.js';

const LAYOUT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuid7', () => {
  test('It should lay out version 7 and the RFC 9562 variant, with the millisecond time in the first 48 bits', () => {
    const at = Date.UTC(2026, 10, 25, 12, 34, 56, 789);
    const id = uuid7Generator(() => at)();
    expect(id).toMatch(LAYOUT);
    expect(uuid7Time(id)).toBe(at);
    expect(id.slice(0, 13).replace('-', '')).toBe(at.toString(16).padStart(12, '0'));
  });

  test('It should sort in creation order within one millisecond, across milliseconds and when the clock steps back', () => {
    let now = Date.UTC(2026, 0, 1);
    const next = uuid7Generator(() => now);
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      ids.push(next());
      if (i % 1000 === 999) now += 1;
      if (i === 2500) now -= 50; // a clock correction
    }
    expect(ids.every((id) => LAYOUT.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('It should borrow the next millisecond when 4096 ids are made in one', () => {
    const at = Date.UTC(2026, 0, 1);
    const next = uuid7Generator(() => at);
    const ids = Array.from({ length: 6000 }, () => next());
    expect([...ids].sort()).toEqual(ids);
    expect(uuid7Time(ids.at(-1)!)).toBeGreaterThan(at);
    expect(uuid7Time(ids.at(-1)!)).toBeLessThanOrEqual(at + 3);
  });

  test('It should be random in its last 74 bits', () => {
    const next = uuid7Generator(() => 0);
    const tails = new Set(Array.from({ length: 200 }, () => next().slice(24)));
    expect(tails.size).toBe(200);
  });
});
