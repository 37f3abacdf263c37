import { describe, expect, test } from 'vitest';
import { ConfigError, parseConfig } from '../../../../shared/domain/config/validate.js';
import { smallProductConfig } from '../../../support/small-product.js';

const withCollector = (collector: unknown) => ({ ...smallProductConfig, collector });

function issuesOf(input: unknown): { path: string; message: string }[] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.issues];
    throw error;
  }
  throw new Error('expected parseConfig to throw a ConfigError');
}

describe('parseConfig: the collector section', () => {
  test('It should leave the collector off without the section, and apply its defaults with it', () => {
    expect(parseConfig(smallProductConfig).collector).toBeUndefined();
    expect(
      parseConfig(withCollector({ writeKeys: { 'web-key-0001': { source: 'app.web' } } })).collector,
    ).toEqual({
      writeKeys: { 'web-key-0001': { source: 'app.web' } },
      names: {},
      rateLimit: { eventsPerSecond: 1000, burst: 5000 },
      maxCallBytes: 32768,
      maxBatchBytes: 512000,
      deviceClockToleranceSeconds: 10,
      allowedOrigins: [],
    });
  });

  test('It should refuse a collector without write keys', () => {
    expect(issuesOf(withCollector({}))).toEqual([
      {
        path: 'collector',
        message: 'the collector needs write keys: writeKeys, writeKeysFile or writeKeysEnv',
      },
    ]);
  });

  test('It should refuse a name map onto an event the tracking plan does not have', () => {
    expect(
      issuesOf(
        withCollector({ writeKeysFile: 'keys.json', names: { 'Course Completed': 'course_completed' } }),
      ),
    ).toEqual([
      {
        path: 'collector.names.Course Completed',
        message: 'unknown event "course_completed": not in the tracking plan',
      },
    ]);
  });

  test('It should name each bad field: a key, a reserved source, an origin with a path, a limit, the sizes', () => {
    const issues = issuesOf(
      withCollector({
        writeKeys: { short: { source: 'app.web' }, 'web-key-0001': { source: 'northstar' } },
        allowedOrigins: ['https://app.example.com/page'],
        rateLimit: { eventsPerSecond: 0, burst: 10 },
      }),
    );
    expect(issues.map((issue) => issue.path)).toEqual([
      'collector.writeKeys.short',
      'collector.writeKeys.web-key-0001.source',
      'collector.rateLimit.eventsPerSecond',
      'collector.allowedOrigins[0]',
    ]);
    expect(issues[0]?.message).toContain('must be 8 to 128 letters, digits, _ or -');
    expect(issues[1]?.message).toContain('must not start with "northstar"');
    expect(
      issuesOf(withCollector({ writeKeysEnv: 'KEYS', maxCallBytes: 32768, maxBatchBytes: 16384 })),
    ).toEqual([
      {
        path: 'collector.maxBatchBytes',
        message: 'must be at least maxCallBytes (32768): a batch holds at least one call',
      },
    ]);
  });
});
