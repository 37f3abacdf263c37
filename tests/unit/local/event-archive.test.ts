import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  type ArchiveFile,
  ArchiveWriteError,
  openArchiveFile,
  openEventArchive,
} from '../../../local/event-archive.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'northstar-archive-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The real file, with a disk that fills up on demand: a write then lands only its first bytes. */
async function fillingDisk(path: string) {
  const file = await openArchiveFile(path);
  const disk = { full: false };
  const faulty: ArchiveFile = {
    ...file,
    async write(text, position) {
      if (!disk.full) return file.write(text, position);
      await file.write(text.slice(0, 7), position);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
  };
  return { faulty, disk };
}

describe('event archive', () => {
  test('It should leave no torn line when a write fails, and append whole lines again once it can', async () => {
    // Prepare
    const path = join(dir, 'archive.ndjson');
    const { faulty, disk } = await fillingDisk(path);
    const archive = await openEventArchive(faulty);
    await archive.append(['{"n":1}\n', '{"n":2}\n']);

    // Act: the disk is full for one call, then has room again.
    disk.full = true;
    await expect(archive.append(['{"n":3}\n'])).rejects.toBeInstanceOf(ArchiveWriteError);
    disk.full = false;
    await archive.append(['{"n":4}\n']);
    await archive.close();

    // Assess: every line whole; the refused one is not there.
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n{"n":2}\n{"n":4}\n');
  });

  test('It should cut a torn last line when it opens, and keep every whole one', async () => {
    const path = join(dir, 'archive.ndjson');
    await writeFile(path, `{"n":1}\n{"n":2,"long":"${'x'.repeat(10_000)}"}\n{"n":3,"cut":`);
    const archive = await openEventArchive(await openArchiveFile(path));
    await archive.append(['{"n":4}\n']);
    await archive.close();
    const lines = (await readFile(path, 'utf8')).split('\n');
    expect(lines.map((line) => line.slice(0, 7))).toEqual(['{"n":1}', '{"n":2,', '{"n":4}', '']);
  });

  test('It should cut a file without one whole line to empty', async () => {
    const path = join(dir, 'archive.ndjson');
    await writeFile(path, '{"n":1,"cut"');
    const archive = await openEventArchive(await openArchiveFile(path));
    await archive.close();
    expect(await readFile(path, 'utf8')).toBe('');
  });
});
