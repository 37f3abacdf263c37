import { type ArchivedLine, type EventArchive, readArchiveLine } from './event-archive.js';
import type { IngestPump, QueuedRecord } from './ingest-pump.js';

/** Where a merged read stands: an offset in each log, in the order the logs were given. */
export type MergedCursor = readonly number[];

export interface MergedFeederOptions {
  /** Logs each in arrival order: imported history, then the archive, which keeps growing. */
  readonly logs: readonly EventArchive[];
  readonly from: MergedCursor;
  readonly pump: IngestPump;
  /** The queue message of a line; undefined for a line no queue takes. */
  readonly toRecord: (line: ArchivedLine) => QueuedRecord | undefined;
  /** Sees each record given a sequence number. */
  readonly onRecord?: (sequence: number, record: QueuedRecord) => void;
  /** Everything before this cursor is counted: called as the pump confirms. */
  readonly onConfirmed: (cursor: MergedCursor) => void;
  /** The pump holds at most about this many entries. @default 2000 */
  readonly windowEntries?: number;
  readonly onError?: (error: unknown) => void;
}

export interface MergedFeeder {
  appended(): void;
  /** The pump's confirmed position (a sequence number): saves the cursor before it. */
  confirmed(position: number): void;
  /** True when every log has been read to its end. */
  readAll(): boolean;
  stop(): Promise<void>;
}

interface Head {
  readonly line: ArchivedLine;
  readonly arrivedAt: number;
  /** The log's offset after this line. */
  readonly next: number;
}

const READ_BYTES = 1024 * 1024;

/**
 * Reads several logs as one, in arrival order (each log is in arrival order already), into
 * the pump: a backfill sees imported history and the archive as a pipeline would have
 * received them. Records carry a sequence number as their position; the cursor of each is
 * kept until the pump confirms it, so a restart resumes where counting stopped.
 */
export function startMergedFeeder(options: MergedFeederOptions): MergedFeeder {
  const { logs, pump } = options;
  const windowEntries = options.windowEntries ?? 2000;
  const onError = options.onError ?? ((error: unknown) => console.error('a log could not be read:', error));
  const offsets = [...options.from];
  const buffers: Head[][] = logs.map(() => []);
  /** Offsets after the last line buffered, per log. */
  const readTo = [...options.from];
  let sequence = 0;
  /** The cursor before each sequence number still unconfirmed. */
  const cursors = new Map<number, MergedCursor>([[0, [...offsets]]]);
  let stopped = false;
  let wake: (() => void) | undefined;

  async function fill(index: number): Promise<void> {
    const log = logs[index]!;
    if (buffers[index]!.length > 0 || readTo[index]! >= log.size()) return;
    const { lines, next } = await log.read(readTo[index]!, READ_BYTES);
    const heads: Head[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const after = lines[i + 1]?.at ?? next;
      const archived = readArchiveLine(line.text);
      heads.push({ line, arrivedAt: archived?.arrivedAt ?? 0, next: after });
    }
    buffers[index] = heads;
    readTo[index] = next;
  }

  const exhausted = (index: number) => buffers[index]!.length === 0 && readTo[index]! >= logs[index]!.size();

  async function run(): Promise<void> {
    while (!stopped) {
      try {
        await Promise.all(logs.map((_, index) => fill(index)));
        if (logs.every((_, index) => exhausted(index))) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        const backlog = pump.backlog();
        if (backlog.entries >= windowEntries) {
          await pump.progressed();
          continue;
        }
        const records: QueuedRecord[] = [];
        // A log with nothing buffered may still get lines (the archive grows), but a line
        // appended now arrives later than any buffered: taking the others first keeps the order.
        while (records.length < windowEntries) {
          let pick = -1;
          for (let index = 0; index < logs.length; index++) {
            const head = buffers[index]![0];
            if (!head) {
              if (!exhausted(index)) {
                pick = -2;
                break;
              }
              continue;
            }
            if (pick < 0 || head.arrivedAt < buffers[pick]![0]!.arrivedAt) pick = index;
          }
          if (pick < 0) break;
          const head = buffers[pick]!.shift()!;
          offsets[pick] = head.next;
          const record = options.toRecord(head.line);
          if (record) {
            records.push({ ...record, logAt: sequence });
            options.onRecord?.(sequence, record);
            sequence++;
          }
          cursors.set(sequence, [...offsets]);
        }
        pump.enqueue(records, sequence);
      } catch (error) {
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      }
    }
  }

  const running = run();
  return {
    appended() {
      wake?.();
    },
    readAll: () => logs.every((_, index) => exhausted(index)),
    confirmed(position) {
      const cursor = cursors.get(position);
      for (const key of cursors.keys()) if (key < position) cursors.delete(key);
      if (cursor) options.onConfirmed(cursor);
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
