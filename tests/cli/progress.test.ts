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

describe('progress bar', () => {
  test('It should draw the share done, events, rate and ETA in place on a terminal', async () => {
    const terminal = io(true);
    const bar = new ProgressBar(terminal.io, 'replay', true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    bar.update(50, 100, 500, 0, true);
    bar.finish();
    const output = terminal.output();
    // Redrawn in place: carriage return first, erase-to-end-of-line after.
    expect(output.startsWith('\r')).toBe(true);
    expect(output.endsWith('\u001b[K\n')).toBe(true);
    expect(output.slice(1, -4)).toMatch(
      /^replay \[#{12}\.{12}\] {2}50% {2}500 events {2}\d+ ev\/s {2}ETA 0:0\d$/,
    );
  });

  test('It should draw nothing when turned off', () => {
    const quiet = io(true);
    const bar = new ProgressBar(quiet.io, 'replay', false);
    bar.update(1, 2, 3, 0, true);
    bar.finish();
    expect(quiet.output()).toBe('');
  });
});
