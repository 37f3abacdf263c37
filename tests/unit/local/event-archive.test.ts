import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  type ArchiveFile,
  ArchiveWriteError,
  archiveLine,
  openArchiveFile,
  openEventArchive,
  readArchiveLine,
} from '../../../local/event-archive.js';
import { logPosition, readLogPosition } from '../../../local/log-position.js';

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

describe('event archive as a log', () => {
  test('It should read back whole lines with where they start, a line longer than asked for included', async () => {
    const path = join(dir, 'archive.ndjson');
    const archive = await openEventArchive(await openArchiveFile(path));
    const long = `{"n":2,"long":"${'x'.repeat(5000)}"}`;
    expect(await archive.append(['{"n":1}\n', `${long}\n`])).toBe(0);
    const third = await archive.append(['{"n":3}\n']);

    // A small read still gives a whole line; the next read starts where it ended.
    const first = await archive.read(0, 10);
    const second = await archive.read(first.next, 10);
    const end = await archive.read(second.next, 1 << 20);
    await archive.close();

    expect(first.lines).toEqual([{ text: '{"n":1}', at: 0 }]);
    expect(second.lines).toEqual([
      { text: long, at: 8 },
      { text: '{"n":3}', at: third },
    ]);
    expect(third).toBe(8 + long.length + 1);
    expect(end).toEqual({ lines: [], next: archive.size() });
  });

  test('It should keep an event with its arrival time, and read a line written before arrival times were kept', () => {
    const event = { id: 'a', time: '2026-11-30T10:00:00Z', detail: { text: 'é "quoted"' } };
    const line = archiveLine(JSON.stringify(event), Date.parse('2026-12-01T08:00:00.123Z'));
    expect(line.endsWith('\n')).toBe(true);
    expect(readArchiveLine(line.slice(0, -1))).toEqual({
      arrivedAt: Date.parse('2026-12-01T08:00:00.123Z'),
      event,
      eventJson: JSON.stringify(event),
    });
    // Written another way (keys reordered, spaced): the event is serialised again.
    const spaced = `{ "event": ${JSON.stringify(event)}, "arrivedAt": "2026-12-01T08:00:00.123Z" }`;
    expect(readArchiveLine(spaced)).toMatchObject({ event, eventJson: JSON.stringify(event) });
    expect(readArchiveLine(JSON.stringify(event))).toEqual({
      arrivedAt: Date.parse(event.time),
      event,
      eventJson: JSON.stringify(event),
    });
    expect(readArchiveLine('{"cut')).toBeUndefined();
  });
});

describe('log position', () => {
  test('It should save the latest position atomically, and read it back', async () => {
    const path = join(dir, 'archive.position');
    expect(await readLogPosition(path)).toBeUndefined();
    const position = logPosition(path, 0);
    for (const at of [10, 20, 15, 30]) position.advance(at);
    await position.flush();
    expect(await readLogPosition(path)).toBe(30);
    await writeFile(path, 'garbage');
    await expect(readLogPosition(path)).rejects.toThrow(/does not hold a log position/);
  });
});
