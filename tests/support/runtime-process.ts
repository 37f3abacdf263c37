/**
 * The local runtime as its own process, for tests that kill it with `kill -9`. Started as
 * `node --import tsx tests/support/runtime-process.ts <data dir>`: prints one JSON line
 * `{ url }` once it serves, then takes commands on stdin, one per line, and answers each
 * with one JSON line: `drained` (waits until what PutEvents took is ingested: the totals),
 * `stop` (stops as Ctrl-C does, then exits).
 */
import { createInterface } from 'node:readline';
import { startRuntime } from '../../local/runtime.js';
import { demoDays, redefined } from './redefined-config.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.removeAllListeners('warning');

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: runtime-process.ts <data dir>');
// A third argument `redefined` starts it with changed definitions, to be killed during their backfill.
const config = process.argv[3] === 'redefined' ? redefined : demoDays;
const runtime = await startRuntime({ config, port: 0, dataDir, recomputeEveryMs: 0 });
const say = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
say({ url: runtime.url, pid: process.pid });

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'drained') {
    await runtime.drained();
    say({ totals: runtime.totals });
  } else if (line === 'stop') {
    const startedAt = Date.now();
    await runtime.stop();
    say({ stoppedInMs: Date.now() - startedAt });
    process.exit(0);
  }
}
