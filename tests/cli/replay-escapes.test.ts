import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { printable, printableJson } from '../../cli/io.js';
import { type PutEventsProxy, startPutEventsProxy } from '../client/put-events-proxy.js';
import { runCli } from './cli-runner.js';

const ESC = '\u001b';
const CSI = '\u009b';
const BEL = '\u0007';
/** What a terminal obeys: C0 (ESC, BEL, CR ...), DEL, C1 (CSI ...) and the bidirectional controls. */
const TERMINAL_CONTROL = /[\p{Cc}\p{Bidi_Control}]/u;

/** Printed text without the newlines that end its lines: what is left must hold no control character. */
const controlsIn = (printed: string) => printed.split('\n').filter((line) => TERMINAL_CONTROL.test(line));

let dir: string;
/** A PutEvents endpoint that refuses every entry with a message quoting escape sequences. */
let refusing: PutEventsProxy;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-cli-replay-escapes-'));
  refusing = await startPutEventsProxy('http://127.0.0.1:1', (_call, request) => ({
    kind: 'answer',
    status: 200,
    body: {
      FailedEntryCount: request.Entries.length,
      Entries: request.Entries.map(() => ({
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `bad ${ESC}[2J${ESC}]0;owned${BEL} entry`,
      })),
    },
  }));
});

afterAll(async () => {
  await refusing.close();
  await rm(dir, { recursive: true, force: true });
});

describe('printable', () => {
  test('It should show C0, DEL, C1 and bidirectional controls as escapes and leave other text alone', () => {
    // Prepare
    const text = `a${ESC}[31mred${CSI}2J\u007f\t\n\r\u202eé €\\u001b`;
    // Act
    const shown = printable(text);
    // Assess
    expect(shown).toBe('a\\u001b[31mred\\u009b2J\\u007f\\t\\n\\r\\u202eé €\\u001b');
    expect(TERMINAL_CONTROL.test(shown)).toBe(false);
    expect(printable(shown)).toBe(shown);
  });

  test('It should give JSON that parses to the same value and holds no C1 or bidirectional control', () => {
    const value = { problem: `x${ESC}[2J${CSI}31m\u2066y`, n: 1 };
    const json = printableJson(value);
    expect(TERMINAL_CONTROL.test(json)).toBe(false);
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('northstar replay: input printed to the terminal', () => {
  test('It should escape control characters of bad lines in the problems it prints', async () => {
    // Prepare: a line that is not JSON, a reserved source with a C1 CSI, an event name with ESC.
    const file = join(dir, 'bad-lines.ndjson');
    await writeFile(
      file,
      [
        `${ESC}]0;owned${BEL}${ESC}[2J not json`,
        JSON.stringify({
          source: `northstar${CSI}31m`,
          name: 'page_viewed',
          eventId: 'e1',
          userId: 'u1',
          occurredAt: '2026-01-01T00:00:00Z',
        }),
        JSON.stringify({ name: 'page_viewed', eventId: 'e2', userId: 'u1', occurredAt: `${ESC}[31mnow` }),
        '',
      ].join('\n'),
    );
    // Act
    const result = await runCli(['replay', file, '--source', 'app.web', '--no-progress']);
    // Assess: the problems are there, quoted with escapes instead of the raw bytes.
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('bad-lines.ndjson:1: not JSON');
    expect(result.stderr).toContain('\\u001b]0;owned\\u0007');
    expect(result.stderr).toContain(
      'bad-lines.ndjson:2: source "northstar\\u009b31m" is reserved for the pipeline',
    );
    expect(result.stderr).toContain('bad-lines.ndjson:3: occurredAt');
    expect(controlsIn(result.stderr)).toEqual([]);
    expect(controlsIn(result.stdout)).toEqual([]);
  });

  test('It should escape control characters of file names in problems and in the summary', async () => {
    // Prepare: a directory and a file whose names hold escape sequences.
    const input = `in${ESC}[8m`;
    await mkdir(join(dir, input), { recursive: true });
    await writeFile(join(dir, input, `a${ESC}[31m.ndjson`), '{"not": "an event"\n');
    // Act
    const result = await runCli(['replay', input, '--no-progress'], { cwd: dir });
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('in\\u001b[8m/a\\u001b[31m.ndjson:1: not JSON');
    expect(result.stdout).toContain('Replay of in\\u001b[8m: complete');
    expect(result.stdout).toContain('in\\u001b[8m.checkpoint.json');
    expect(controlsIn(result.stderr)).toEqual([]);
    expect(controlsIn(result.stdout)).toEqual([]);
  });

  test('It should print JSON whose strings hold no C1 control, though it parses to the same problem', async () => {
    const file = join(dir, 'json-summary.ndjson');
    await writeFile(file, `${JSON.stringify({ source: `northstar${CSI}2J`, name: 'x' })}\n`);
    const result = await runCli(['replay', 'json-summary.ndjson', '--json', '--restart'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(controlsIn(result.stdout)).toEqual([]);
    const summary = JSON.parse(result.stdout) as { problems: string[] };
    expect(summary.problems).toEqual([
      `json-summary.ndjson:1: source "northstar${CSI}2J" is reserved for the pipeline`,
    ]);
  });

  test("It should escape control characters of the endpoint's refusal", async () => {
    const file = join(dir, 'refused.ndjson');
    await writeFile(
      file,
      `${JSON.stringify({ name: 'page_viewed', eventId: 'r1', userId: 'u1', occurredAt: '2026-01-01T00:00:00Z' })}\n`,
    );
    const result = await runCli([
      'replay',
      file,
      '--source',
      'app.web',
      '--endpoint',
      refusing.url,
      '--no-progress',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'PutEvents refused 1 entries: InvalidArgument bad \\u001b[2J\\u001b]0;owned\\u0007 entry',
    );
    expect(controlsIn(result.stderr)).toEqual([]);
  });

  test('It should escape control characters of a wrong input path, flag or checkpoint in its errors', async () => {
    const missing = await runCli(['replay', join(dir, `gone${ESC}[2J.ndjson`)]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('gone\\u001b[2J.ndjson');

    const file = join(dir, 'flag.ndjson');
    await writeFile(file, '\n');
    const entries = await runCli(['replay', file, '--entries', `single${ESC}[2J`]);
    expect(entries.code).toBe(2);
    expect(entries.stderr).toContain('--entries must be batch or single, got "single\\u001b[2J"');

    const checkpoint = join(dir, 'garbage.checkpoint.json');
    await writeFile(checkpoint, `${ESC}[2J${ESC}]0;owned${BEL}`);
    const broken = await runCli(['replay', file, '--checkpoint', checkpoint]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('garbage.checkpoint.json is not a replay checkpoint: not JSON');

    const foreign = `other${ESC}[2J.checkpoint.json`;
    await writeFile(
      join(dir, foreign),
      JSON.stringify({
        version: 1,
        input: [{ path: 'other.ndjson', bytes: 1 }],
        confirmed: [],
        counters: {
          lines: 0,
          events: 0,
          invalid: 0,
          duplicates: 0,
          skipped: 0,
          entries: 0,
          calls: 0,
          accepted: 0,
          rejected: 0,
        },
        problems: [],
        done: false,
        updatedAt: '2026-01-01T00:00:00Z',
      }),
    );
    const other = await runCli(['replay', 'flag.ndjson', '--checkpoint', foreign], { cwd: dir });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('other\\u001b[2J.checkpoint.json belongs to another input');

    for (const result of [missing, entries, broken, other]) expect(controlsIn(result.stderr)).toEqual([]);
  });
});
