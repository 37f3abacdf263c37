import { type FileHandle, open } from 'node:fs/promises';
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

/** An append-only NDJSON archive that only ever holds complete lines. */
export interface EventArchive {
  /** Appends the lines durably, or throws and leaves the archive as it was: never a torn line. */
  append(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function openArchiveFile(path: string): Promise<ArchiveFile> {
  const handle: FileHandle = await open(path, 'a+');
  return {
    size: async () => (await handle.stat()).size,
    read: async (position, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    },
    // The handle appends wherever it is told to write: position is the end already.
    write: async (text) => {
      await handle.appendFile(text);
      await handle.datasync();
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
          size += Buffer.byteLength(text);
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
      writing = run.catch(() => undefined);
      return run;
    },
    close: () => writing.then(() => file.close()),
  };
}
