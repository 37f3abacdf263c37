import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NorthstarConfig } from './schema.js';
import { ConfigError, parseConfig } from './validate.js';

/** A configuration as written: a `.ts`/`.js` module's default export, or a `.json` file; not yet validated. */
export async function readConfigInput(file: string): Promise<unknown> {
  const path = resolve(file);
  let input: unknown;
  try {
    if (extname(path) === '.json') input = JSON.parse(await readFile(path, 'utf8'));
    else input = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
  } catch (cause) {
    throw new ConfigError(
      `Cannot read configuration ${file}: ${(cause as Error).message}`,
      [{ path: '(file)', message: (cause as Error).message }],
      { cause },
    );
  }
  if (input === undefined)
    throw new ConfigError(`Configuration ${file} has no default export`, [
      { path: '(file)', message: 'no default export' },
    ]);
  return input;
}

/** Loads a configuration from a `.ts`/`.js` module (default export) or a `.json` file, then validates it. */
export async function loadConfig(file: string): Promise<NorthstarConfig> {
  return parseConfig(await readConfigInput(file));
}
