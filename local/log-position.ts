import { open, rename } from 'node:fs/promises';
import { readTextIfExists } from '../shared/adapters/file/read-if-exists.js';

/**
 * The confirmed position of the local queue: the archive offset before which every entry has
 * been ingested or dead-lettered. It is a low-water mark, so a position that is older than
 * the truth only means some entries are ingested again on the next start, which ingest's
 * de-duplication absorbs; it never moves past an entry that is still waiting.
 */
export interface LogPosition {
  /** Records a newer position; writes are coalesced, one at a time. */
  advance(position: number): void;
  /** Waits until the latest position given is on disk. */
  flush(): Promise<void>;
}

/**
 * The position saved by an earlier run, or undefined when there is none (a new data
 * directory, or one whose archive was written before positions were kept).
 */
export async function readLogPosition(path: string): Promise<number | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  const position = Number(text.trim());
  if (!Number.isSafeInteger(position) || position < 0)
    throw new Error(`${path} does not hold a log position (found "${text.slice(0, 40)}")`);
  return position;
}

/** Writes to a temporary file, syncs it, and renames it over the position: never a torn file. */
export async function saveLogPosition(path: string, position: number | string): Promise<void> {
  const text = String(position);
  const temporary = `${path}.next`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

/**
 * Saves a position that only moves forward, as text; writes are coalesced, one at a time.
 * `order` ranks positions, so an older one given late is ignored.
 */
export function coalescedPosition<P>(
  path: string,
  initial: P,
  order: (position: P) => number,
  text: (position: P) => string,
  onError: (error: unknown) => void,
): { advance(position: P): void; flush(): Promise<void> } {
  let latest = initial;
  let saved = initial;
  let writing: Promise<void> | undefined;
  const write = (): Promise<void> => {
    writing ??= (async () => {
      try {
        while (order(saved) < order(latest)) {
          const next = latest;
          // A failed write is tried again with the next advance; until then the older position stands.
          await saveLogPosition(path, text(next));
          saved = next;
        }
      } catch (error) {
        onError(error);
      } finally {
        writing = undefined;
      }
    })();
    return writing;
  };
  return {
    advance(position) {
      if (order(position) <= order(latest)) return;
      latest = position;
      void write();
    },
    async flush() {
      while (writing) await writing;
      if (order(saved) < order(latest)) await write();
    },
  };
}

export function logPosition(
  path: string,
  initial: number,
  onError: (error: unknown) => void = (error) =>
    console.error('the queue position could not be saved:', error),
): LogPosition {
  return coalescedPosition(path, initial, (position) => position, String, onError);
}
