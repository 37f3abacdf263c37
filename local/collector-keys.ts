import { readFile } from 'node:fs/promises';
import { type CollectorSettings, type WriteKey, WriteKeys } from '../shared/domain/config/schema.js';
import { ConfigError } from '../shared/domain/config/validate.js';
import { NorthstarError } from '../shared/domain/errors.js';

/** The keys file could not be read again while running: the collector answers 503 until it can. */
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

export interface WriteKeyOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How long a read of the keys file is used before it is read again. @default 1000 */
  readonly fileCacheMs?: number;
}

type Keys = ReadonlyMap<string, WriteKey>;

function parseKeys(text: string, where: string): Keys {
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

/** Keys from every place the settings name; a key in two places is refused, so revoking it in one is never undone by the other. */
function merge(sets: readonly Keys[]): Keys {
  const keys = new Map<string, WriteKey>();
  for (const set of sets)
    for (const [key, settings] of set) {
      if (keys.has(key)) throw new Error(`write key ${key.slice(0, 4)}... is listed in more than one place`);
      keys.set(key, settings);
    }
  return keys;
}

/**
 * The write keys of the settings: listed inline, read from an environment variable at start,
 * and read from a file at start and again, at most once a `fileCacheMs`, while running, so
 * removing a key from the file revokes it within a second and without a restart. Keys that
 * cannot be read at start are a `ConfigError` naming the setting; a file that becomes
 * unreadable later refuses every call (503) rather than keep keys that may have been revoked.
 */
export async function openWriteKeys(
  settings: CollectorSettings,
  options: WriteKeyOptions = {},
): Promise<WriteKeyBook> {
  const env = options.env ?? process.env;
  const cacheMs = options.fileCacheMs ?? 1000;
  const fixed: Keys[] = [];
  const refuse = (path: string, cause: unknown): never => {
    const message = (cause as Error).message;
    throw new ConfigError(
      `Invalid Northstar configuration:\n  ✖ ${message}\n    → at ${path}`,
      [{ path, message }],
      {
        cause,
      },
    );
  };
  if (settings.writeKeys) fixed.push(new Map(Object.entries(settings.writeKeys)));
  if (settings.writeKeysEnv) {
    const name = settings.writeKeysEnv;
    const text = env[name];
    try {
      if (text === undefined) throw new Error(`environment variable ${name} is not set`);
      fixed.push(parseKeys(text, `environment variable ${name}`));
    } catch (cause) {
      refuse('collector.writeKeysEnv', cause);
    }
  }
  const file = settings.writeKeysFile;
  const readKeys = async (): Promise<Keys> => {
    if (!file) return merge(fixed);
    const text = await readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
      throw new Error(`keys file ${file} cannot be read (${cause.code ?? cause.message})`, { cause });
    });
    return merge([...fixed, parseKeys(text, `keys file ${file}`)]);
  };
  let current: { keys: Keys; at: number } | undefined;
  try {
    current = { keys: await readKeys(), at: Date.now() };
  } catch (cause) {
    refuse(file ? 'collector.writeKeysFile' : 'collector.writeKeys', cause);
  }
  let reading: Promise<Keys> | undefined;
  let failing = false;
  const fresh = async (): Promise<Keys> => {
    if (current && Date.now() - current.at < cacheMs) return current.keys;
    // Concurrent calls share one read.
    reading ??= readKeys().finally(() => {
      reading = undefined;
    });
    try {
      const keys = await reading;
      current = { keys, at: Date.now() };
      if (failing) console.error('collector: write keys readable again');
      failing = false;
      return keys;
    } catch (cause) {
      current = undefined;
      if (!failing)
        console.error(
          `collector: every call is refused until the write keys can be read: ${(cause as Error).message}`,
        );
      failing = true;
      throw new WriteKeysUnavailableError(`the write keys cannot be read: ${(cause as Error).message}`, {
        cause,
      });
    }
  };
  return {
    async lookup(key) {
      return (file ? await fresh() : current!.keys).get(key);
    },
  };
}
