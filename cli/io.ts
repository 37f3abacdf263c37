import { NorthstarError } from '../shared/domain/errors.js';

/** Where a command writes and what it reads from its surroundings: the process, or a test. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; isTTY?: boolean };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Aborted on Ctrl-C: long commands stop cleanly (replay saves its checkpoint). */
  readonly signal?: AbortSignal;
}

/** A wrong command line: exit code 2 with the command's usage. */
export class UsageError extends NorthstarError {
  override readonly name = 'UsageError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('usage', message, options);
  }
}

/** A command that ran and failed (unreachable endpoint, refused request): exit code 1. */
export class CommandError extends NorthstarError {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: { cause?: unknown },
  ) {
    super('command_failed', message, options);
  }
}
