import { type WriteKey, WriteKeys } from '../../domain/config/schema.js';
import { NorthstarError } from '../../domain/errors.js';

/** The write keys could not be read again while running: the collector answers 503 until they can. */
export class WriteKeysUnavailableError extends NorthstarError {
  override readonly name = 'WriteKeysUnavailableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('write_keys_unavailable', message, options);
  }
}

export interface WriteKeyBook {
  /** The key's settings; undefined for a wrong or revoked key. Throws `WriteKeysUnavailableError`. */
  lookup(key: string): Promise<WriteKey | undefined>;
}

export type Keys = ReadonlyMap<string, WriteKey>;

/** Keys of the `writeKeys` shape from a JSON text; `where` names the text in errors. */
export function parseWriteKeys(text: string, where: string): Keys {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${where} is not JSON: ${(cause as Error).message}`, { cause });
  }
  const parsed = WriteKeys.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${where}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return new Map(Object.entries(parsed.data));
}

/** Keys from every place; a key in two places is refused, so revoking it in one is never undone by the other. */
export function mergeWriteKeys(sets: readonly Keys[]): Keys {
  const keys = new Map<string, WriteKey>();
  for (const set of sets)
    for (const [key, settings] of set) {
      if (keys.has(key)) throw new Error(`write key ${key.slice(0, 4)}... is listed in more than one place`);
      keys.set(key, settings);
    }
  return keys;
}

export interface CachedWriteKeysOptions {
  /** Reads every key afresh, all places merged; throws when they cannot be read. */
  readonly read: () => Promise<Keys>;
  /** How long one read is used before a lookup reads again. */
  readonly cacheMs: number;
  /** The keys already read at start, if any; otherwise the first lookup reads them. */
  readonly initial?: Keys;
  /** Where it says that calls are refused, and that they are taken again. @default console.error */
  readonly log?: (message: string) => void;
}

/**
 * Write keys read again at most once a `cacheMs`, so removing a key revokes it within that
 * and without a restart or a deploy. Keys that cannot be read are not kept in force, since
 * some may have been revoked: every lookup throws `WriteKeysUnavailableError` until a read
 * succeeds. Concurrent lookups share one read.
 */
export function cachedWriteKeys(options: CachedWriteKeysOptions): WriteKeyBook {
  const { read, cacheMs } = options;
  const log = options.log ?? console.error;
  let current: { keys: Keys; at: number } | undefined = options.initial && {
    keys: options.initial,
    at: Date.now(),
  };
  let reading: Promise<Keys> | undefined;
  let failing = false;
  async function fresh(): Promise<Keys> {
    if (current && Date.now() - current.at < cacheMs) return current.keys;
    reading ??= read().finally(() => {
      reading = undefined;
    });
    try {
      const keys = await reading;
      current = { keys, at: Date.now() };
      if (failing) log('write keys readable again');
      failing = false;
      return keys;
    } catch (cause) {
      current = undefined;
      if (!failing)
        log(`every call is refused until the write keys can be read: ${(cause as Error).message}`);
      failing = true;
      throw new WriteKeysUnavailableError(`the write keys cannot be read: ${(cause as Error).message}`, {
        cause,
      });
    }
  }
  return {
    async lookup(key) {
      return (await fresh()).get(key);
    },
  };
}
