import { readFile } from 'node:fs/promises';
import type { CollectorSettings } from '../shared/domain/config/schema.js';
import { ConfigError } from '../shared/domain/config/validate.js';
import {
  cachedWriteKeys,
  type Keys,
  mergeWriteKeys,
  parseWriteKeys,
  type WriteKeyBook,
} from '../shared/use-cases/collector/write-keys.js';

export interface WriteKeyOptions {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** How long a read of the keys file is used before it is read again. @default 1000 */
  readonly fileCacheMs?: number;
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
      fixed.push(parseWriteKeys(text, `environment variable ${name}`));
    } catch (cause) {
      refuse('collector.writeKeysEnv', cause);
    }
  }
  const file = settings.writeKeysFile;
  const read = async (): Promise<Keys> => {
    if (!file) return mergeWriteKeys(fixed);
    const text = await readFile(file, 'utf8').catch((cause: NodeJS.ErrnoException) => {
      throw new Error(`keys file ${file} cannot be read (${cause.code ?? cause.message})`, { cause });
    });
    return mergeWriteKeys([...fixed, parseWriteKeys(text, `keys file ${file}`)]);
  };
  let initial: Keys | undefined;
  try {
    initial = await read();
  } catch (cause) {
    refuse(file ? 'collector.writeKeysFile' : 'collector.writeKeys', cause);
  }
  return cachedWriteKeys({
    read,
    initial,
    // Without a file nothing changes while running: the keys of the start stay.
    cacheMs: file ? (options.fileCacheMs ?? 1000) : Number.POSITIVE_INFINITY,
    log: (message) => console.error(`collector: ${message}`),
  });
}
