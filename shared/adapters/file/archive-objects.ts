import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { ArchiveObject, ArchiveObjects } from '../../ports/archive-objects.js';
import { gzipLines, linesOf } from '../s3/archive-objects.js';

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

/** A folder standing in for the archive bucket: a key is a path under it. Tests and local tools use it. */
export function folderArchiveObjects(root: string): ArchiveObjects {
  return {
    async list(prefix) {
      const keys = (await filesUnder(root)).filter((key) => key.startsWith(prefix)).sort();
      return Promise.all(
        keys.map(async (key): Promise<ArchiveObject> => ({ key, size: (await stat(join(root, key))).size })),
      );
    },
    readLines: async (key) => linesOf(await readFile(join(root, key))),
    async writeLines(key, lines) {
      const path = join(root, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await gzipLines(lines));
    },
  };
}
