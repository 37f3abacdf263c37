import type { CliIo } from './io.js';

const BAR = 24;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const whole = Math.max(0, Math.round(seconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}

/**
 * A progress bar on stderr: share done, events sent, rate and ETA. Redrawn in place on a
 * terminal; elsewhere (a log, a pipe) one line every few seconds, and only when asked for.
 */
export class ProgressBar {
  private readonly startedAt: number;
  private lastDraw = 0;
  private drawn = false;

  /** `clock` gives the time in milliseconds since the epoch. @default Date.now */
  constructor(
    private readonly io: CliIo,
    private readonly label: string,
    private readonly enabled: boolean,
    private readonly clock: () => number = Date.now,
  ) {
    this.startedAt = clock();
  }

  /** `done` and `total` in the unit that measures progress (bytes of input); `events` sent so far. */
  update(done: number, total: number, events: number, baseline = 0, force = false): void {
    if (!this.enabled) return;
    const now = this.clock();
    const tty = this.io.stderr.isTTY === true;
    if (!force && now - this.lastDraw < (tty ? 100 : 5000)) return;
    this.lastDraw = now;
    const share = total > 0 ? Math.min(done / total, 1) : 1;
    const elapsed = Math.max((now - this.startedAt) / 1000, 0.001);
    const rate = events / elapsed;
    const speed = (done - baseline) / elapsed;
    const eta = speed > 0 ? (total - done) / speed : Number.POSITIVE_INFINITY;
    const filled = Math.round(share * BAR);
    const text = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${(share * 100).toFixed(0).padStart(3)}%  ${events} events  ${rate.toFixed(0)} ev/s  ETA ${duration(eta)}`;
    this.io.stderr.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
    this.drawn = tty;
  }

  /** Ends the bar's line so the next output starts clean. */
  finish(): void {
    if (this.drawn) this.io.stderr.write('\n');
    this.drawn = false;
  }
}
