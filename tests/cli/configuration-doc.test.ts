import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../shared/domain/config/load.js';
import { RecomputeSettings } from '../../shared/domain/config/schema.js';
import { expectedBand } from '../../shared/domain/engine/expected-band.js';
import { ROOT, runCli } from './cli-runner.js';

/** docs/configuration.md: its examples are checked against what the code does. */
let doc: string;
let dir: string;

beforeAll(async () => {
  doc = await readFile(join(ROOT, 'docs/configuration.md'), 'utf8');
  dir = await mkdtemp(join(tmpdir(), 'northstar-configuration-doc-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The fenced block of `language` that follows `after` in the doc. */
function blockAfter(after: string, language: string): string {
  const from = doc.indexOf(after);
  expect(from, `docs/configuration.md has "${after}"`).toBeGreaterThanOrEqual(0);
  const match = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(doc.slice(from));
  expect(match, `a ${language} block after "${after}"`).not.toBeNull();
  return match![1]!;
}

/** The JSON example of the doc with the misspelt field its Checks section describes. */
async function misspeltExample(): Promise<string> {
  const example = JSON.parse(blockAfter('### A JSON file', 'json')) as {
    metrics: Record<string, Record<string, unknown>>;
  };
  example.metrics.weekly_signups!.sensitivty = 2;
  const file = join(dir, 'signups.json');
  await writeFile(file, JSON.stringify(example, null, 2));
  return file;
}

describe('docs/configuration.md', () => {
  test('Unknown fields: It should quote the error northstar validate prints for a misspelt field', async () => {
    // Prepare
    await misspeltExample();
    const shown = blockAfter('misspelt optional field', 'text');
    expect(shown.startsWith('$ npx northstar validate signups.json\n')).toBe(true);
    const quoted = shown.split('\n').slice(1).join('\n');
    // Act
    const result = await runCli(['validate', 'signups.json'], { cwd: dir });
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(quoted);
  });

  test('Unknown fields: It should quote the ConfigError loadConfig throws for a misspelt field', async () => {
    const file = await misspeltExample();
    const quoted = blockAfter('`loadConfig` throws the same problem', 'text').trimEnd();
    await expect(loadConfig(file)).rejects.toMatchObject({
      name: 'ConfigError',
      message: quoted,
      issues: [{ path: 'metrics.weekly_signups', message: 'Unrecognized key: "sensitivty"' }],
    });
  });

  test('Recompute settings: It should list every recompute field with the default the schema applies', () => {
    const table = doc.slice(doc.indexOf('### Recompute settings'), doc.indexOf('## Tracking plan'));
    const rows = new Map(
      [...table.matchAll(/^\| `(\w+)`\s*\|[^|]*\|\s*`([^`]*)`\s*\|/gm)].map((row) => [row[1], row[2]]),
    );
    const defaults = RecomputeSettings.parse({});
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(
        Object.entries(defaults).map(([field, value]) => [
          field,
          // An object default is written as JavaScript: `{ hour: 8, day: 8 }`.
          typeof value === 'object'
            ? `{ ${Object.entries(value)
                .map(([key, inner]) => `${key}: ${inner}`)
                .join(', ')} }`
            : String(value),
        ]),
      ),
    );
  });

  test('Recompute settings: It should give the band of its countNoise example', () => {
    // "With an expected 16 sign-ups a day and the default 3 ... 4 to 28 ... the 10% floor alone
    // would give 14.4 to 17.6", and the count noise term is the wider one below 900.
    const steady = [16, 16, 16, 16, 16, 16, 16, 16];
    expect(doc).toContain('day of 4 to 28 sign-ups is normal');
    const countNoise = RecomputeSettings.parse({}).countNoise;
    expect(expectedBand(steady, { countNoise })).toMatchObject({ lower: 4, upper: 28 });
    const floorOnly = expectedBand(steady, { countNoise: 0 });
    expect(floorOnly.state === 'ready' && [floorOnly.lower, floorOnly.upper]).toEqual([14.4, 17.6]);
    expect(expectedBand(Array(8).fill(900), { countNoise })).toMatchObject({ lower: 810, upper: 990 });
  });
});
