import type { ArchivedLine, EventArchive } from './event-archive.js';
import type { IngestPump, QueuedRecord } from './ingest-pump.js';

export interface LogFeederOptions {
  readonly archive: EventArchive;
  /** The confirmed position: everything before it is done. */
  readonly from: number;
  readonly pump: IngestPump;
  /** The queue message of an archived entry; undefined for one no queue takes (not a product event) or cannot read. */
  readonly toRecord: (line: ArchivedLine) => QueuedRecord | undefined;
  /** The pump holds at most about this many entries read from the log. @default 2000 */
  readonly windowEntries?: number;
  /** The same bound in bytes. @default 16 MiB */
  readonly windowBytes?: number;
  /** Bytes read from the log at a time. @default 1 MiB */
  readonly readBytes?: number;
  /** Sees a failed read; the reader tries again. @default console.error */
  readonly onError?: (error: unknown) => void;
}

export interface LogFeeder {
  /** New lines are in the log: the reader wakes up. */
  appended(lines: number): void;
  /** Entries in the log the pump has not been handed yet, and their bytes. */
  unread(): { entries: number; bytes: number };
  /** Waits until every line appended before the call has been handed to the pump (or the feeder stopped). */
  readUp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads the log from the confirmed position into the pump, a window at a time, and then
 * follows it as it grows: the log, not memory, holds the backlog, so a long drain or a
 * restart after `kill -9` ingests what waits in the order it arrived.
 */
export function startLogFeeder(options: LogFeederOptions): LogFeeder {
  const { archive, pump } = options;
  const windowEntries = options.windowEntries ?? 2000;
  const windowBytes = options.windowBytes ?? 16 * 1024 * 1024;
  const readBytes = options.readBytes ?? 1024 * 1024;
  const onError =
    options.onError ?? ((error: unknown) => console.error('the queue log could not be read:', error));
  let offset = options.from;
  let stopped = false;
  /** Lines after `offset`, once counted at start (appends add to it). */
  let unreadLines = 0;
  let wake: (() => void) | undefined;
  let readers: { until: number; resolve: () => void }[] = [];
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

  const settleReaders = () => {
    readers = readers.filter((reader) => {
      if (!stopped && offset < reader.until) return true;
      reader.resolve();
      return false;
    });
  };

  async function countUnread(): Promise<void> {
    // Lines appended from now on are counted as they come.
    const end = archive.size();
    for (let at = offset; at < end && !stopped; ) {
      const { lines, next } = await archive.read(at, Math.min(4 * readBytes, end - at));
      if (next === at) break;
      unreadLines += lines.length;
      at = next;
    }
  }

  async function run(): Promise<void> {
    await countUnread().catch(onError);
    while (!stopped) {
      if (offset >= archive.size()) {
        settleReaders();
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      const backlog = pump.backlog();
      if (backlog.entries >= windowEntries || backlog.bytes >= windowBytes) {
        await pump.progressed();
        continue;
      }
      try {
        const { lines, next } = await archive.read(offset, readBytes);
        const records: QueuedRecord[] = [];
        for (const line of lines) {
          const record = options.toRecord(line);
          if (record) records.push(record);
        }
        offset = next;
        unreadLines = Math.max(0, unreadLines - lines.length);
        pump.enqueue(records, next);
        settleReaders();
      } catch (error) {
        onError(error);
        await sleep(1000);
      }
    }
    settleReaders();
  }

  const running = run();
  return {
    appended(lines) {
      unreadLines += lines;
      wake?.();
    },
    unread() {
      const bytes = archive.size() - offset;
      // Until the lines after the position are counted, what waits is at least one entry.
      return { entries: bytes > 0 ? Math.max(unreadLines, 1) : 0, bytes };
    },
    readUp() {
      const until = archive.size();
      if (stopped || offset >= until) return Promise.resolve();
      return new Promise<void>((resolve) => readers.push({ until, resolve }));
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
