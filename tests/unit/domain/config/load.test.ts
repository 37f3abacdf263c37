import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../../../config/demo.config.js';
import { loadConfig } from '../../../../shared/domain/config/load.js';
import { ConfigError, parseConfig } from '../../../../shared/domain/config/validate.js';

const demoModule = fileURLToPath(new URL('../../../../config/demo.config.ts', import.meta.url));

/** Runs loadConfig and returns the ConfigError it rejects with. */
async function configErrorOf(file: string): Promise<ConfigError> {
  try {
    await loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected loadConfig(${file}) to reject with a ConfigError`);
}

describe('loadConfig', () => {
  let configDir: string;

  beforeAll(async () => {
    configDir = await mkdtemp(join(tmpdir(), 'northstar-config-'));
  });

  afterAll(async () => {
    await rm(configDir, { recursive: true, force: true });
  });

  test('It should load the demo TypeScript module and validate it', async () => {
    // Prepare
    const expected = parseConfig(structuredClone(demo));

    // Act
    const config = await loadConfig(demoModule);

    // Assess
    expect(config).toEqual(expected);
    expect(config.northStar).toBe('weekly_learners');
    expect(config.ingest.counterShards).toBe(4);
  });

  test('It should load a JSON file and apply the defaults', async () => {
    // Prepare
    const file = join(configDir, 'northstar.config.json');
    await writeFile(file, JSON.stringify(demo, null, 2));

    // Act
    const config = await loadConfig(file);

    // Assess
    expect(config).toEqual(parseConfig(structuredClone(demo)));
    expect(config.grains).toEqual(['hour', 'day', 'week', 'month']);
    expect(config.metrics.revenue).toMatchObject({ kind: 'sum', property: 'amount', sensitivity: 1 });
  });

  test('It should reject a JSON file with a bad field, naming its path', async () => {
    // Prepare
    const broken = structuredClone(demo) as { metrics: Record<string, { owner: { contact: string } }> };
    const revenue = broken.metrics.revenue;
    if (revenue) revenue.owner.contact = 'revenue team';
    const file = join(configDir, 'bad-contact.json');
    await writeFile(file, JSON.stringify(broken));

    // Act
    const error = await configErrorOf(file);

    // Assess
    expect(error.issues).toEqual([
      { path: 'metrics.revenue.owner.contact', message: 'must be an email address or an https URL' },
    ]);
    expect(error.message).toContain('→ at metrics.revenue.owner.contact');
  });

  test('It should reject a JSON file that is not valid JSON', async () => {
    // Prepare
    const file = join(configDir, 'truncated.json');
    await writeFile(file, JSON.stringify(demo).slice(0, 200));

    // Act
    const error = await configErrorOf(file);

    // Assess
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('(file)');
    expect(error.message).toContain(`Cannot read configuration ${file}`);
  });

  test('It should reject a missing JSON file', async () => {
    // Prepare
    const file = join(configDir, 'missing.json');

    // Act
    const error = await configErrorOf(file);

    // Assess
    expect(error.name).toBe('ConfigError');
    expect(error.issues).toEqual([{ path: '(file)', message: expect.stringContaining('ENOENT') }]);
    expect(error.message).toContain(`Cannot read configuration ${file}`);
    expect(error.cause).toBeInstanceOf(Error);
  });

  test('It should reject a missing module', async () => {
    // Prepare
    const file = join(configDir, 'missing.config.ts');

    // Act
    const error = await configErrorOf(file);

    // Assess
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('(file)');
    expect(error.message).toContain(`Cannot read configuration ${file}`);
  });

  test('It should reject a module without a default export', async () => {
    // Prepare
    const file = join(configDir, 'named-export.config.mjs');
    await writeFile(file, 'export const config = {};\n');

    // Act
    const error = await configErrorOf(file);

    // Assess
    expect(error.issues).toEqual([{ path: '(file)', message: 'no default export' }]);
  });
});
