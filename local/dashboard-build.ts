import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DASHBOARD = fileURLToPath(new URL('../web', import.meta.url));
const DIST = join(DASHBOARD, 'dist');

/** The newest modification time of the dashboard's sources (everything but the build output). */
async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (path === DIST) continue;
    const time = entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs;
    newest = Math.max(newest, time);
  }
  return newest;
}

async function builtAt(): Promise<number | undefined> {
  try {
    return (await stat(join(DIST, 'index.html'))).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether web/dist is missing or older than a source file. */
export async function dashboardStale(): Promise<boolean> {
  const built = await builtAt();
  return built === undefined || (await newestSource(DASHBOARD)) > built;
}

/**
 * Builds the dashboard with Vite when its build is missing or stale, so `npm start` and
 * the browser tests always serve the current sources. Returns whether it built.
 */
export async function buildDashboardIfStale(): Promise<boolean> {
  if (!(await dashboardStale())) return false;
  // Vite is a development dependency: loaded only when a build is needed.
  const { build } = await import('vite');
  await build({ configFile: join(DASHBOARD, 'vite.config.ts'), logLevel: 'warn' });
  return true;
}
