import { spawn } from 'node:child_process';

/**
 * Reads `GET /api/status` every 100 ms from a process of its own while `during` runs, and
 * resolves with the times (ms) of the reads, -1 for one that failed.
 */
export async function statusTimesDuring<T>(url: string, during: () => Promise<T>): Promise<[T, number[]]> {
  const poller = spawn(process.execPath, ['scripts/status-poller.mjs', url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const times = new Promise<number[]>((resolve, reject) => {
    let output = '';
    poller.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    poller.once('exit', () => {
      try {
        resolve(JSON.parse(output) as number[]);
      } catch (error) {
        reject(error);
      }
    });
  });
  try {
    const result = await during();
    poller.kill('SIGTERM');
    return [result, await times];
  } finally {
    if (poller.exitCode === null) poller.kill('SIGTERM');
  }
}
