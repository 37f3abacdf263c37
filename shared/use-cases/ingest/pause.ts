/**
 * A batch of many users' events is worked through in slices of about this long, each ending
 * with a turn of the event loop: where ingest shares a process with reads (the local
 * runtime), a read never waits for a whole batch. On Lambda the pauses cost nothing.
 */
const PAUSE_EVERY_MS = 10;

/**
 * A function to call between two pieces of work: undefined (go on) until `everyMs` of work
 * went by since the last pause, then a promise of the next turn of the event loop.
 */
export function pauser(everyMs: number = PAUSE_EVERY_MS): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    if (performance.now() - last < everyMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        last = performance.now();
        resolve();
      }),
    );
  };
}
