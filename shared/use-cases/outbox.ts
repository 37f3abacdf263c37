/** A record written this long ago and still not on the bus had its sender crash. */
export const RESEND_GRACE_MS = 10 * 60_000;

/** The outbox of records the bus must get once: those recorded but not yet marked sent. */
export interface Outbox<T> {
  /** Records whose key time lies in [from, to] (ISO), recorded before `before`, not marked sent. */
  unsent(from: string, to: string, before: number): Promise<T[]>;
  /** Puts one on the bus and marks it sent. */
  send(record: T): Promise<void>;
}

/**
 * Sends again what a crashed run recorded but never put on the bus, over the last
 * `lookbackMs`; the grace keeps a run from resending what another is sending now.
 * Returns how many were sent.
 */
export async function resendUnsent<T>(outbox: Outbox<T>, now: number, lookbackMs: number): Promise<number> {
  const unsent = await outbox.unsent(
    new Date(now - lookbackMs).toISOString(),
    new Date(now).toISOString(),
    now - RESEND_GRACE_MS,
  );
  for (const record of unsent) await outbox.send(record);
  return unsent.length;
}
