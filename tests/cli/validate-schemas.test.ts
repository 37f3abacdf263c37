import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { parseConfig } from '../../shared/domain/config/validate.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import { trackingPlanSchemas } from '../../shared/domain/events/tracking-plan.js';
import { runBin, runCli } from './cli-runner.js';
import { schemaErrors } from './json-schema-check.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-cli-validate-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: JSON read and edited by path, in tests only
type Json = any;

/** The demo configuration with one change, as a JSON file. */
async function brokenConfig(name: string, change: (config: Record<string, Json>) => void): Promise<string> {
  const config = JSON.parse(JSON.stringify(demo)) as Record<string, Json>;
  change(config);
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify(config));
  return file;
}

describe('northstar validate', () => {
  test('It should accept the demo configuration (a TypeScript module) with exit code 0', async () => {
    const result = await runBin(['validate', 'config/demo.config.ts']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('config/demo.config.ts is valid: 6 events, 17 metrics, 1 funnels');
    expect(result.code).toBe(0);
  });

  test('It should print every problem of a broken configuration with its path and exit with code 1', async () => {
    const file = await brokenConfig('broken', (config) => {
      config.metrics.signup_rate.denominator = 'weekly_visits';
      config.metrics.daily_signups.grain = 'fortnight';
      config.funnels.activation.steps[1].event = 'signed_in';
      delete config.metrics.revenue.owner;
    });
    const result = await runBin(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('is not valid');
    expect(result.stderr).toMatch(/metrics\.daily_signups\.grain: /);
    expect(result.stderr).toMatch(/metrics\.revenue\.owner: /);
  });

  test('It should print a problem that quotes control bytes of the configuration escaped, not raw', async () => {
    const file = await brokenConfig('controls', (config) => {
      config.metrics['x\u001b[2Jy'] = { ...config.metrics.daily_signups };
    });
    const result = await runBin(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('metrics.x\\u001b[2Jy: ');
    expect(result.stderr).not.toContain('\u001b');
  });

  test('It should name the path of cross-reference problems: unknown metrics and events', async () => {
    const file = await brokenConfig('references', (config) => {
      config.metrics.signup_rate.denominator = 'weekly_visits';
      config.funnels.activation.steps[1].event = 'signed_in';
    });
    const result = await runBin(['validate', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('metrics.signup_rate.denominator: unknown metric "weekly_visits"');
    expect(result.stderr).toContain(
      'funnels.activation.steps[1].event: unknown event "signed_in": not in the tracking plan',
    );
  });

  test('It should fail with code 1 on a file that does not exist or is not JSON', async () => {
    const missing = await runCli(['validate', join(dir, 'nothing.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(file): ');
    const garbled = join(dir, 'garbled.json');
    await writeFile(garbled, '{ "timeZone": ');
    const notJson = await runCli(['validate', garbled]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('(file): ');
  });

  test('It should answer usage errors with code 2 and help with code 0', async () => {
    const unknown = await runCli(['validate', '--stricter']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--stricter'");
    const help = await runCli(['validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('northstar validate [config]');
    expect((await runCli(['frobnicate'])).code).toBe(2);
    for (const command of [
      'validate',
      'lint',
      'schemas',
      'replay',
      'quarantine',
      'query',
      'recompute',
      'alerts',
    ]) {
      const page = await runCli([command, '--help']);
      expect(page.code, command).toBe(0);
      expect(page.stdout, command).toContain(`northstar ${command}`);
    }
  });
});

describe('northstar schemas', () => {
  test('It should print a draft-04 JSON Schema per event and for the batch entry that agree with ingest validation', async () => {
    const result = await runCli(['schemas']);
    expect(result.code).toBe(0);
    const schemas = JSON.parse(result.stdout) as Record<string, Record<string, Json>>;
    const config = parseConfig(demo);
    expect(Object.keys(schemas).sort()).toEqual(
      [...Object.keys(config.trackingPlan.events), BATCH_DETAIL_TYPE].sort(),
    );
    const payment = schemas.payment_succeeded!;
    expect(payment.$schema).toBe('http://json-schema.org/draft-04/schema#');
    expect(payment.properties['detail-type'].enum).toEqual(['payment_succeeded']);
    expect(payment.properties.detail.properties.properties.required.sort()).toEqual([
      'amount',
      'currency',
      'plan',
    ]);
    expect(payment.properties.detail.properties.properties.properties.currency.enum).toEqual(['USD', 'EUR']);

    // The same verdicts as the zod schemas ingest uses, on good and bad samples.
    const zod = trackingPlanSchemas(config).get('payment_succeeded')!;
    const base = { eventId: 'e1', userId: 'u1', occurredAt: '2026-11-25T10:00:00Z' };
    const samples = [
      { ...base, properties: { amount: 19, currency: 'EUR', plan: 'annual' } },
      { ...base, properties: { amount: 19, currency: 'GBP', plan: 'annual' } },
      { ...base, properties: { amount: '19', currency: 'EUR', plan: 'annual' } },
      { ...base, properties: { currency: 'EUR', plan: 'annual' } },
      {
        eventId: 'e1',
        occurredAt: '2026-11-25T10:00:00Z',
        properties: { amount: 1, currency: 'EUR', plan: 'annual' },
      },
    ];
    const envelope = (detail: unknown) => ({ source: 'app.web', 'detail-type': 'payment_succeeded', detail });
    expect(samples.map((sample) => schemaErrors(payment, envelope(sample)).length === 0)).toEqual(
      samples.map((sample) => zod.safeParse(sample).success),
    );
    expect(samples.map((sample) => zod.safeParse(sample).success)).toEqual([
      true,
      false,
      false,
      false,
      false,
    ]);

    const batch = schemas[BATCH_DETAIL_TYPE]!;
    const good = {
      source: 'app.web',
      'detail-type': BATCH_DETAIL_TYPE,
      detail: { events: [{ name: 'payment_succeeded', ...samples[0] }] },
    };
    const bad = { ...good, detail: { events: [{ name: 'payment_succeeded', ...samples[1] }] } };
    expect(schemaErrors(batch, good)).toEqual([]);
    expect(schemaErrors(batch, bad).length).toBeGreaterThan(0);
  });

  test('It should write one file per schema with --out', async () => {
    const out = join(dir, 'schemas');
    const result = await runCli(['schemas', '--config', 'config/demo.config.ts', '--out', out]);
    expect(result.code).toBe(0);
    const files = (await readdir(out)).sort();
    expect(files).toContain('northstar-event-batch.json');
    expect(files).toContain('signed_up.json');
    expect(files).toHaveLength(7);
    const signedUp = JSON.parse(await readFile(join(out, 'signed_up.json'), 'utf8')) as { title: string };
    expect(signedUp.title).toBe('signed_up');
  });
});
