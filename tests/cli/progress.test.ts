import { describe, expect, test } from 'vitest';
import type { CliIo } from '../../cli/io.js';
import { ProgressBar } from '../../cli/progress.js';

function io(tty: boolean): { io: CliIo; output: () => string } {
  let text = '';
  return {
    io: {
      stdout: { write: () => true },
      stderr: { write: (chunk: string) => (text += chunk), isTTY: tty },
      env: {},
      cwd: '.',
    },
    output: () => text,
  };
}

/** A clock that moves only when the test says so, in milliseconds since the epoch. */
function manualClock(startAt = Date.parse('2026-11-24T09:00:00.000Z')) {
  let time = startAt;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

describe('progress bar', () => {
  test('It should draw the share done, events, rate and ETA in place on a terminal', () => {
    const terminal = io(true);
    const clock = manualClock();
    const bar = new ProgressBar(terminal.io, 'replay', true, clock.now);
    clock.advance(2_000);
    bar.update(50, 100, 500, 0, true);
    bar.finish();
    const output = terminal.output();
    // Redrawn in place: carriage return first, erase-to-end-of-line after.
    expect(output.startsWith('\r')).toBe(true);
    expect(output.endsWith('\u001b[K\n')).toBe(true);
    expect(output.slice(1, -4)).toMatch(
      /^replay \[#{12}\.{12}\] {2}50% {2}500 events {2}\d+ ev\/s {2}ETA 0:0\d$/,
    );
    // 500 events in 2 s is 250 ev/s; half done in 2 s leaves 2 s for the other half.
    expect(output).toBe('\rreplay [############............]  50%  500 events  250 ev/s  ETA 0:02\u001b[K\n');
  });

  test('It should take the rate from the events sent and the ETA from the progress since the baseline', () => {
    const log = io(false);
    const clock = manualClock();
    const bar = new ProgressBar(log.io, 'replay', true, clock.now);

    // A resumed replay: 200 of 1000 bytes were done before; 400 more in 40 s leave 400 for 40 s.
    clock.advance(40_000);
    bar.update(600, 1000, 2000, 200, true);
    // Nothing more since the baseline: no speed, so no ETA.
    bar.update(600, 1000, 0, 600, true);
    // 1 byte of 4000 in 50 s: 199,950 s to go, past an hour.
    clock.advance(10_000);
    bar.update(1, 4000, 50, 0, true);
    bar.finish();

    // Not a terminal: one line per draw, nothing to erase.
    expect(log.output().split('\n')).toEqual([
      'replay [##############..........]  60%  2000 events  50 ev/s  ETA 0:40',
      'replay [##############..........]  60%  0 events  0 ev/s  ETA --:--',
      'replay [........................]   0%  50 events  1 ev/s  ETA 55:32:30',
      '',
    ]);
  });

  test('It should redraw at most every 100 ms on a terminal and every 5 s elsewhere, unless forced', () => {
    for (const [tty, interval] of [
      [true, 100],
      [false, 5_000],
    ] as const) {
      const stream = io(tty);
      const clock = manualClock();
      const bar = new ProgressBar(stream.io, 'replay', true, clock.now);
      const draws = () =>
        stream
          .output()
          .split(/[\r\n]/)
          .filter(Boolean).length;

      bar.update(1, 10, 1);
      expect(draws()).toBe(1);
      clock.advance(interval - 1);
      bar.update(2, 10, 2);
      expect(draws()).toBe(1);
      bar.update(3, 10, 3, 0, true);
      expect(draws()).toBe(2);
      clock.advance(interval - 1);
      bar.update(4, 10, 4);
      expect(draws()).toBe(2);
      clock.advance(1);
      bar.update(5, 10, 5);
      expect(draws()).toBe(3);
    }
  });

  test('It should draw nothing when turned off', () => {
    const quiet = io(true);
    const bar = new ProgressBar(quiet.io, 'replay', false);
    bar.update(1, 2, 3, 0, true);
    bar.finish();
    expect(quiet.output()).toBe('');
  });
});
