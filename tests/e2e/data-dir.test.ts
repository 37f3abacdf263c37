import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { startRuntime } from '../../local/runtime.js';
import { config } from '../support/daily-activity.js';

const run = promisify(execFile);

/**
 * A directory nobody may write into, root included (tests may run as root, whom file modes
 * do not stop): made immutable where the file system allows it, else sysfs, which is read-only
 * to everyone.
 */
async function readOnlyDirectory(parent: string): Promise<{ path: string; release: () => Promise<void> }> {
  const path = join(parent, 'read-only');
  await mkdir(path);
  try {
    await run('chattr', ['+i', path]);
    await writeFile(join(path, 'probe'), 'x').then(
      () => Promise.reject(new Error('still writable')),
      () => undefined,
    );
    return { path, release: () => run('chattr', ['-i', path]).then(() => undefined) };
  } catch {
    return { path: '/sys', release: async () => undefined };
  }
}

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

  test('It should refuse a read-only data directory within seconds, naming it', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'northstar-data-'));
    const readOnly = await readOnlyDirectory(parent);
    const startedAt = Date.now();
    try {
      await expect(
        startRuntime({ config, port: 0, recomputeEveryMs: 0, dataDir: readOnly.path }),
      ).rejects.toThrow(new RegExp(`The data directory ${readOnly.path} cannot be used .*--data-dir`));
      expect(Date.now() - startedAt).toBeLessThan(5_000);
    } finally {
      await readOnly.release();
      await rm(parent, { recursive: true, force: true });
    }
  });
});
