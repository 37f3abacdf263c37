import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('northstar/client/browser bundle', () => {
  test('It should bundle for the browser from the client folder alone: no Node built-in, no AWS SDK', async () => {
    // Act: as an app's bundler would, with Node's built-ins left unresolved so any import fails.
    const result = await build({
      entryPoints: ['client/browser.ts'],
      absWorkingDir: ROOT,
      bundle: true,
      format: 'esm',
      platform: 'browser',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });

    // Assess
    const inputs = Object.keys(result.metafile.inputs).sort();
    expect(inputs.every((input) => input.startsWith('client/'))).toBe(true);
    expect(inputs).not.toContain('client/put-events.ts');
    expect(inputs).not.toContain('client/tracker.ts');
    // Small enough to ship in a page: a few KB minified.
    expect(result.outputFiles[0]!.contents.length).toBeLessThan(16_000);
  });
});
