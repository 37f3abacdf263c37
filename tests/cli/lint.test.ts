import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import demo from '../../config/demo.config.js';
import { runCli } from './cli-runner.js';

let dir: string;

/** The demo as JSON with a sign-up north star: inflatable (an error), a count, no guardrail acknowledged. */
function signupNorthStar(): Record<string, unknown> {
  const config = structuredClone(demo) as unknown as {
    metrics: Record<string, Record<string, unknown>>;
    northStar: string;
    lint?: unknown;
  };
  config.metrics.weekly_signups!.parent = undefined;
  config.metrics.weekly_learners!.parent = 'weekly_signups';
  config.northStar = 'weekly_signups';
  config.lint = undefined;
  return config;
}

async function writeConfig(name: string, config: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, JSON.stringify(config, null, 2));
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-lint-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('northstar lint', () => {
  test('It should pass the demo configuration with its acknowledgement shown, reason and all', async () => {
    const result = await runCli(['lint', '--today', '2026-12-03']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('✓ acknowledged no-guardrail at metrics');
    expect(result.stdout).toContain('reason: The demo product sends no event of harm');
    expect(result.stdout).toMatch(
      /config\/demo\.config\.ts: 0 errors, 0 warnings, 1 acknowledged; not checked: thin-history/,
    );
    // validate --strict is the same check.
    // A fixed day: the demo's targets fall due on 2027-03-31, and a past one is an error.
    const strict = await runCli(['validate', '--strict', '--today', '2026-12-03']);
    expect(strict.code).toBe(0);
    expect(strict.stdout).toBe(result.stdout);
    expect((await runCli(['validate', '--today', '2026-12-03'])).code).toBe(2);
  });

  test('It should exit 3 on an error finding, listing each with its rule, path, why and fix', async () => {
    await writeConfig('signups.json', signupNorthStar());
    const result = await runCli(['lint', 'signups.json', '--today', '2026-12-03'], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('✖ error north-star-inflatable at metrics.weekly_signups.events\n');
    expect(result.stdout).toContain(
      '    the north star "weekly_signups" is a count of "signed_up", where users start, not where they get value\n',
    );
    expect(result.stdout).toMatch(/ {4}why: Visits, installs and sign-ups grow with marketing spend/);
    expect(result.stdout).toContain('⚠ warning north-star-counts-events at metrics.weekly_signups.kind');
    expect(result.stdout).toContain('⚠ warning no-guardrail at metrics\n');
    expect(result.stdout).toContain('signups.json: 1 error, 2 warnings, 0 acknowledged');
  });

  test('It should print the whole report as JSON, and judge targets against --today', async () => {
    await writeConfig('signups.json', signupNorthStar());
    const result = await runCli(['lint', 'signups.json', '--format', 'json', '--today', '2027-04-01'], {
      cwd: dir,
    });
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      exitCode: number;
      errors: number;
      findings: { rule: string; severity: string; metric?: string; path: string }[];
    };
    expect(result.code).toBe(3);
    expect(report).toMatchObject({ valid: true, exitCode: 3 });
    // The demo's targets fall due on 2027-03-31 or 2027-06-30: the first ones are past.
    const past = report.findings.filter((finding) => finding.rule === 'target-date-past');
    const due = Object.entries(demo.metrics)
      .filter(([, metric]) => 'target' in metric && metric.target.by < '2027-04-01')
      .map(([id]) => id);
    expect(due.length).toBeGreaterThan(3);
    expect(past.map((finding) => finding.metric)).toEqual(due);
    expect(report.errors).toBe(1 + past.length);
  });

  test('It should exit 4 on warnings only, or 0 with --fail-on error', async () => {
    const config = signupNorthStar();
    (config as { lint: unknown }).lint = {
      acknowledge: [
        {
          rule: 'north-star-inflatable',
          reason: 'Sign-ups are the goal while the product is in private beta.',
        },
      ],
    };
    await writeConfig('acknowledged.json', config);
    expect((await runCli(['lint', 'acknowledged.json', '--today', '2026-12-03'], { cwd: dir })).code).toBe(4);
    const lenient = await runCli(
      ['lint', 'acknowledged.json', '--fail-on', 'error', '--today', '2026-12-03'],
      {
        cwd: dir,
      },
    );
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain('acknowledged.json: 0 errors, 2 warnings, 1 acknowledged');
  });

  test('It should write GitHub annotations, one line per finding not acknowledged', async () => {
    await writeConfig('signups.json', signupNorthStar());
    const result = await runCli(['lint', 'signups.json', '--format', 'github', '--today', '2026-12-03'], {
      cwd: dir,
    });
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('::'))).toHaveLength(3);
    expect(lines[0]).toMatch(
      /^::error file=signups\.json,title=north-star-inflatable at metrics\.weekly_signups\.events::the north star "weekly_signups" is a count of "signed_up"/,
    );
  });

  test('It should exit 1 on an invalid configuration and 2 on a usage error', async () => {
    const config = signupNorthStar();
    (config as { lint: unknown }).lint = {
      acknowledge: [{ rule: 'no-such-rule', reason: 'A reason long enough to pass.' }],
    };
    await writeConfig('invalid.json', config);
    const invalid = await runCli(['lint', 'invalid.json', '--format', 'json'], { cwd: dir });
    expect(invalid.code).toBe(1);
    expect(JSON.parse(invalid.stdout)).toMatchObject({
      valid: false,
      issues: [{ path: 'lint.acknowledge[0].rule', message: expect.stringContaining('unknown lint rule') }],
    });
    expect((await runCli(['lint', '--format', 'xml'])).code).toBe(2);
    expect((await runCli(['lint', '--fail-on', 'info'])).code).toBe(2);
  });
});
