import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { startRuntime } from '../../local/runtime.js';
import { config } from '../support/daily-activity.js';

describe('local runtime data directory', () => {
  test('It should refuse a data directory it cannot use within seconds, naming it and what to do instead', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'northstar-data-'));
    const file = join(parent, 'not-a-directory');
    await writeFile(file, 'x');
    const startedAt = Date.now();
    try {
      await expect(
        startRuntime({ config, port: 0, recomputeEveryMs: 0, dataDir: join(file, 'data') }),
      ).rejects.toThrow(`The data directory ${join(file, 'data')} cannot be used`);
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
