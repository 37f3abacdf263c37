/** Why events did not reach the bus; every report carries how many. */
export type TrackerErrorCode =
  | 'buffer_full'
  | 'invalid_event'
  | 'too_large'
  | 'rejected'
  | 'retries_exhausted'
  | 'closed';

/** Reported through `onError`, never thrown at the app. */
export class TrackerError extends Error {
  override readonly name = 'TrackerError';
  constructor(
    readonly code: TrackerErrorCode,
    message: string,
    /** Number of events this report is about. */
    readonly events: number,
    options?: { cause?: unknown; errorCode?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.errorCode = options?.errorCode;
  }
  /** The PutEvents `ErrorCode` or SDK error name, when there was one. */
  readonly errorCode: string | undefined;
}
