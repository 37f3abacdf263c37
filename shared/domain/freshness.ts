/** The times an accepted event needs for the freshness of the numbers built from it. */
export interface AcceptedEventTimes {
  readonly occurredAt: number;
  readonly arrivedAt: number;
}

/**
 * The latest accepted event: the one that arrived last (of equal arrivals, the one that
 * happened last), and when its batch's counters were committed.
 */
export interface IngestFreshness {
  readonly occurredAt: number;
  readonly arrivedAt: number;
  readonly committedAt: number;
}

/** The latest of a batch's accepted events, or undefined for a batch that accepted none. */
export function latestAccepted(
  accepted: readonly AcceptedEventTimes[],
  committedAt: number,
): IngestFreshness | undefined {
  let latest: AcceptedEventTimes | undefined;
  for (const event of accepted) {
    if (
      !latest ||
      event.arrivedAt > latest.arrivedAt ||
      (event.arrivedAt === latest.arrivedAt && event.occurredAt > latest.occurredAt)
    )
      latest = event;
  }
  return latest && { occurredAt: latest.occurredAt, arrivedAt: latest.arrivedAt, committedAt };
}

/** True when `next` is later than `current` in the order {@link latestAccepted} uses. */
export function isNewerThan(next: IngestFreshness, current: IngestFreshness | undefined): boolean {
  return (
    current === undefined ||
    current.arrivedAt < next.arrivedAt ||
    (current.arrivedAt === next.arrivedAt && current.occurredAt <= next.occurredAt)
  );
}
