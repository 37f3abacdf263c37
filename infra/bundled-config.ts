import { createHash } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { NorthstarConfig } from '../shared/domain/config/schema.js';

/** File name of the configuration inside the function bundles; the handlers read it at cold start. */
export const BUNDLED_CONFIG_FILE = 'northstar.config.json';

/**
 * Writes the configuration where the bundling hook can copy it from. The name
 * is content-addressed and the write atomic, so parallel synths cannot see a
 * half-written file.
 */
export function writeConfigFile(config: NorthstarConfig): string {
  const json = `${JSON.stringify(config, null, 2)}\n`;
  const digest = createHash('sha256').update(json).digest('hex').slice(0, 16);
  const file = join(tmpdir(), `northstar-config-${digest}.json`);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, json);
  renameSync(partial, file);
  return file;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Bundling hooks that copy the configuration file into the root of the bundle (local bundling). */
export function copyConfigIntoBundle(source: string): ICommandHooks {
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) => [
      `cp ${shellQuote(source)} ${shellQuote(join(outputDir, BUNDLED_CONFIG_FILE))}`,
    ],
  };
}
