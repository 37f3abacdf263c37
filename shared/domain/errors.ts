/**
 * The base of every error the pipeline raises: a stable `reason` code that logs, alarms and
 * tests key on, and the `cause` it wraps. Subclasses set `name` so stack traces read well.
 */
export class NorthstarError extends Error {
  override readonly name: string = 'NorthstarError';

  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}

/**
 * The store refused a write on its first and only attempt (a validation error, an item over
 * the size limit), so it was not applied. Only the messages of the user it belongs to fail,
 * and after their receives they reach the dead-letter queue alone.
 */
export class WriteRefusedError extends NorthstarError {
  override readonly name = 'WriteRefusedError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('write_refused', message, options);
  }
}
