/** A PutEvents entry as the collector makes it: a `Northstar Event Batch` of one source. */
export interface BusEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
}

/**
 * What became of a request's entries: the pipeline pushed back and took none for now (`busy`:
 * the app sends them again later), or each was put on the bus (some after retries) or kept
 * for replay.
 */
export type PutOutcome =
  | { readonly busy: true }
  | { readonly busy: false; readonly put: number; readonly retried: number; readonly kept: number };

/** Puts entries on the bus; throws when some were neither put nor kept. */
export type PutBusEntries = (entries: readonly BusEntry[]) => Promise<PutOutcome>;

/** An entry PutEvents did not take after retries, with its last error: one line of a replay file. */
export interface KeptEntry extends BusEntry {
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

/** Where entries that could not be put are kept until an operator replays them. */
export interface KeptEntries {
  /** Throws when they could not be kept: the request is then not answered 200. */
  keep(entries: readonly KeptEntry[]): Promise<void>;
}
