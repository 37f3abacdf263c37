import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openWriteKeys } from '../../../local/collector-keys.js';
import { CollectorSettings } from '../../../shared/domain/config/schema.js';
import { ConfigError } from '../../../shared/domain/config/validate.js';
import { WriteKeysUnavailableError } from '../../../shared/use-cases/collector/write-keys.js';

let dir: string;
const settings = (fields: Record<string, unknown>) => CollectorSettings.parse(fields);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-write-keys-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('write keys', () => {
  test('It should take keys listed inline and from an environment variable', async () => {
    const keys = await openWriteKeys(
      settings({ writeKeys: { 'inline-key-1': { source: 'app.web' } }, writeKeysEnv: 'APP_KEYS' }),
      { env: { APP_KEYS: JSON.stringify({ 'env-key-0001': { source: 'app.ios' } }) } },
    );
    expect(await keys.lookup('inline-key-1')).toEqual({ source: 'app.web' });
    expect(await keys.lookup('env-key-0001')).toEqual({ source: 'app.ios' });
    expect(await keys.lookup('other-key-01')).toBeUndefined();
  });

  test('It should read the keys file again once its copy is older than the cache, so removing a key revokes it', async () => {
    // Prepare
    const file = join(dir, 'revoke.json');
    await writeFile(file, JSON.stringify({ 'file-key-0001': { source: 'app.web' } }));
    const keys = await openWriteKeys(settings({ writeKeysFile: file }), { fileCacheMs: 50 });
    expect(await keys.lookup('file-key-0001')).toEqual({ source: 'app.web' });

    // Act
    await writeFile(file, JSON.stringify({ 'file-key-0002': { source: 'app.web' } }));
    const cached = await keys.lookup('file-key-0001');
    await new Promise((resolve) => setTimeout(resolve, 60));

    // Assess
    expect(cached).toEqual({ source: 'app.web' });
    expect(await keys.lookup('file-key-0001')).toBeUndefined();
    expect(await keys.lookup('file-key-0002')).toEqual({ source: 'app.web' });
  });

  test('It should refuse every lookup while the keys file cannot be read, rather than keep keys it may have revoked', async () => {
    const file = join(dir, 'broken.json');
    await writeFile(file, JSON.stringify({ 'file-key-0001': { source: 'app.web' } }));
    const keys = await openWriteKeys(settings({ writeKeysFile: file }), { fileCacheMs: 0 });
    await writeFile(file, '{"file-key-0001": ');
    await expect(keys.lookup('file-key-0001')).rejects.toBeInstanceOf(WriteKeysUnavailableError);
    await writeFile(file, JSON.stringify({ 'file-key-0001': { source: 'app.web' } }));
    expect(await keys.lookup('file-key-0001')).toEqual({ source: 'app.web' });
  });

  test('It should stop the start with a ConfigError that names the setting and why', async () => {
    const missing = join(dir, 'missing.json');
    await expect(openWriteKeys(settings({ writeKeysFile: missing }))).rejects.toMatchObject({
      name: 'ConfigError',
      issues: [{ path: 'collector.writeKeysFile', message: `keys file ${missing} cannot be read (ENOENT)` }],
    });
    const reserved = join(dir, 'reserved.json');
    await writeFile(reserved, JSON.stringify({ 'file-key-0001': { source: 'northstar.web' } }));
    const error = await openWriteKeys(settings({ writeKeysFile: reserved })).catch((caught) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]?.message).toContain(
      'file-key-0001.source: must not start with "northstar"',
    );
    await expect(
      openWriteKeys(settings({ writeKeysEnv: 'NO_SUCH_VARIABLE' }), { env: {} }),
    ).rejects.toMatchObject({
      issues: [
        { path: 'collector.writeKeysEnv', message: 'environment variable NO_SUCH_VARIABLE is not set' },
      ],
    });
  });

  test('It should refuse a key listed in two places, so revoking it in one cannot leave it working', async () => {
    const file = join(dir, 'twice.json');
    await writeFile(file, JSON.stringify({ 'same-key-0001': { source: 'app.web' } }));
    await expect(
      openWriteKeys(settings({ writeKeys: { 'same-key-0001': { source: 'app.web' } }, writeKeysFile: file })),
    ).rejects.toMatchObject({ issues: [{ path: 'collector.writeKeysFile' }] });
  });
});
