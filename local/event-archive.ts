import { type FileHandle, open, stat } from 'node:fs/promises';
import { NorthstarError } from '../shared/domain/errors.js';

/** The file operations the archive needs; a test puts a failing disk in their place. */
export interface ArchiveFile {
  size(): Promise<number>;
  read(position: number, length: number): Promise<Buffer>;
  write(text: string, position: number): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}

export class ArchiveWriteError extends NorthstarError {
  override readonly name = 'ArchiveWriteError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('archive_write_failed', message, options);
  }
}

/** A whole line of the archive and where it starts. */
export interface ArchivedLine {
  readonly text: string;
  readonly at: number;
}

/**
 * An append-only NDJSON archive that only ever holds complete lines: the local queue's
 * write-ahead log, read back from a byte offset.
 */
export interface EventArchive {
  /**
   * Appends the lines durably and resolves with the offset the first starts at, or throws
   * and leaves the archive as it was: never a torn line.
   */
  append(lines: readonly string[]): Promise<number>;
  /** Bytes of whole lines appended: the end of the log. */
  size(): number;
  /**
   * The whole lines from `from` (a line's start) in about `maxBytes`, at least one when any
   * follows, and the offset after the last.
   */
  read(from: number, maxBytes: number): Promise<{ lines: ArchivedLine[]; next: number }>;
  close(): Promise<void>;
}

/** An archived entry: the event as the bus delivers it, its JSON, and when it reached the bus. */
export interface ArchivedEvent<Event = unknown> {
  readonly arrivedAt: number;
  readonly event: Event;
  /** The event's JSON as archived: the queue message body, without serialising it again. */
  readonly eventJson: string;
}

const LINE_START = '{"arrivedAt":"';
/** `{"arrivedAt":"2026-12-01T08:00:00.123Z","event":` : an ISO time is 24 characters. */
const EVENT_AT = LINE_START.length + 24 + '","event":'.length;

/** One archive line: `{"arrivedAt": RFC 3339, "event": <eventJson>}`, the event's JSON as the bus delivers it. */
export function archiveLine(eventJson: string, arrivedAt: number): string {
  return `${LINE_START}${new Date(arrivedAt).toISOString()}","event":${eventJson}}\n`;
}

/**
 * An archive line read back. Lines written before arrival times were archived hold the bare
 * event; its own `time` (when the bus took it) stands in for the arrival.
 */
export function readArchiveLine(text: string): ArchivedEvent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object') return undefined;
  const line = json as { arrivedAt?: unknown; event?: unknown; time?: unknown };
  const arrivedAt = Date.parse(String(line.arrivedAt ?? line.time));
  if (!Number.isFinite(arrivedAt)) return undefined;
  if (!('event' in line && 'arrivedAt' in line)) return { arrivedAt, event: json, eventJson: text };
  // A line this runtime wrote holds the event's JSON at a fixed place; any other is serialised again.
  const written = text.startsWith(LINE_START) && text.slice(EVENT_AT - 8, EVENT_AT) === '"event":';
  return {
    arrivedAt,
    event: line.event,
    eventJson: written ? text.slice(EVENT_AT, -1) : JSON.stringify(line.event),
  };
}

export async function openArchiveFile(path: string): Promise<ArchiveFile> {
  const handle: FileHandle = await open(path, 'a+');
  const opened = await handle.stat();
  /**
   * A write to a file whose directory was removed or replaced still succeeds, into a file no
   * later start will see: only a write still reachable at the path counts as durable.
   */
  const stillAtPath = async () => {
    const found = await stat(path).catch(() => undefined);
    if (found?.ino !== opened.ino || found.dev !== opened.dev)
      throw new Error(
        `${path} is no longer the archive this runtime writes: its data directory was removed or replaced (put it back, or restart the runtime)`,
      );
  };
  return {
    size: async () => (await handle.stat()).size,
    read: async (position, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    },
    // The handle appends wherever it is told to write: position is the end already.
    write: async (text) => {
      await stillAtPath();
      await handle.appendFile(text);
      await handle.datasync();
      await stillAtPath();
    },
    truncate: (size) => handle.truncate(size),
    close: () => handle.close(),
  };
}

/**
 * Opens the archive and cuts a torn last line (a write cut short before it was answered, so
 * never acknowledged). Appends are serialised; a failed one is cut back to where it started.
 */
export async function openEventArchive(file: ArchiveFile): Promise<EventArchive> {
  let size = await file.size();
  if (size > 0) {
    // Look back for the last newline; what follows it was never completed.
    let end = size;
    for (let chunk = 4096; end > 0; chunk *= 2) {
      const from = Math.max(0, size - chunk);
      const tail = await file.read(from, size - from);
      const newline = tail.lastIndexOf(0x0a);
      if (newline >= 0) {
        end = from + newline + 1;
        break;
      }
      if (from === 0) end = 0;
    }
    if (end < size) {
      await file.truncate(end);
      size = end;
    }
  }
  let writing: Promise<void> = Promise.resolve();
  /** A failed write whose cut failed too: nothing is appended until the cut succeeds. */
  let torn = false;
  return {
    append(lines) {
      const text = lines.join('');
      const run = writing.then(async () => {
        try {
          if (torn) {
            await file.truncate(size);
            torn = false;
          }
          await file.write(text, size);
          const at = size;
          size += Buffer.byteLength(text);
          return at;
        } catch (cause) {
          // Whatever part of the text reached the disk goes: the next append starts on a line.
          torn = true;
          await file
            .truncate(size)
            .then(() => {
              torn = false;
            })
            .catch(() => undefined);
          throw new ArchiveWriteError(`the event archive could not be written: ${(cause as Error).message}`, {
            cause,
          });
        }
      });
      writing = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    size: () => size,
    async read(from, maxBytes) {
      // Only what an answered append made whole is read: the end is `size`, not the file's.
      const end = size;
      const lines: ArchivedLine[] = [];
      let length = Math.min(maxBytes, end - from);
      while (length > 0) {
        const chunk = await file.read(from, length);
        const last = chunk.lastIndexOf(0x0a);
        if (last < 0) {
          // One line longer than asked for: read on until it ends.
          if (from + length >= end) break;
          length = Math.min(length * 2, end - from);
          continue;
        }
        let start = 0;
        for (let newline = chunk.indexOf(0x0a); newline >= 0 && newline <= last; ) {
          lines.push({ text: chunk.toString('utf8', start, newline), at: from + start });
          start = newline + 1;
          newline = chunk.indexOf(0x0a, start);
        }
        return { lines, next: from + last + 1 };
      }
      return { lines, next: from };
    },
    close: () => writing.then(() => file.close()),
  };
}
