import { describe, expect, test } from 'vitest';
import { dayOption, timestampOption } from '../../cli/args.js';
import { runCli } from './cli-runner.js';

// Nothing listens here: a refused flag must stop the command before any request.
const api = ['--api-url', 'http://127.0.0.1:1'];

describe('time flags', () => {
  test.each([
    ['recompute', '--from', 'last tuesday'],
    ['recompute', '--to', '2026-11-31'],
    ['query', 'metric', 'weekly_active_learners', '--from', '2026-11-01T10:00'],
    ['query', 'funnel', 'activation', '--to', '2026-11-01T00:00:00+0200'],
    ['alerts', 'list', '--from', '2026-02-30T00:00:00Z'],
    ['quarantine', 'list', '--day', '2026-11-01T00:00:00Z'],
  ])('It should refuse a bad timestamp as a usage error naming the flag: %s %s', async (...args) => {
    const [command] = args;
    const flag = args.at(-2)!;
    const value = args.at(-1)!;

    const result = await runCli([...args, ...api]);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`northstar ${command}: ${flag} must be a date`);
    expect(result.stderr).toContain(`got "${value}"`);
    expect(result.stderr).toContain(`Run "northstar ${command} --help" for usage.`);
  });

  test('It should take a date as UTC midnight and a timestamp in any zone as UTC, seconds optional', () => {
    expect(timestampOption('from', '2026-11-01')).toBe('2026-11-01T00:00:00.000Z');
    expect(timestampOption('from', '2026-11-01T09:30+02:00')).toBe('2026-11-01T07:30:00.000Z');
    expect(timestampOption('from', '2026-11-01T23:59:59.5-05:00')).toBe('2026-11-02T04:59:59.500Z');
    expect(timestampOption('from', '2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
    expect(timestampOption('from', undefined)).toBeUndefined();
    expect(dayOption('day', '2026-11-01')).toBe('2026-11-01');
  });

  test('It should refuse a timestamp without a zone or a day the calendar does not have', () => {
    expect(() => timestampOption('to', '2026-11-01T00:00:00')).toThrow(
      '--to must be a date (2026-11-01) or a timestamp with a zone (2026-11-01T00:00:00Z), got "2026-11-01T00:00:00"',
    );
    expect(() => timestampOption('from', '2026-02-29')).toThrow('--from must be a date');
    expect(() => dayOption('day', '2026-13-01')).toThrow('--day must be a date YYYY-MM-DD, got "2026-13-01"');
  });
});
