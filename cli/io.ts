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

/**
 * Control characters (C0, DEL and C1, CSI U+009B among them) and the bidirectional marks,
 * overrides and isolates: what moves the cursor, recolours or clears the screen, or reorders
 * what is shown, when printed to a terminal.
 */
const TERMINAL_CONTROLS = /[\p{Cc}\p{Bidi_Control}]/gu;
/** Those JSON.stringify leaves as they are: it escapes C0 itself. */
const JSON_UNESCAPED_CONTROLS = /[\u007f-\u009f\p{Bidi_Control}]/gu;

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

const unicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Text that came from a command's input (a line, a file name, a server's message) made safe to
 * print: every control character is shown as an escape (`\u001b`, `\n`), so the input cannot move
 * the cursor, recolour the terminal or start lines of its own. Other text is unchanged.
 */
export function printable(text: string): string {
  return text.replace(TERMINAL_CONTROLS, (char) => SHORT_ESCAPES[char] ?? unicodeEscape(char));
}

/**
 * JSON of a value, safe to print: as JSON.stringify, with the C1 and bidirectional controls it
 * leaves raw escaped as `\u009b` too. The same JSON value, parsed.
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value).replace(JSON_UNESCAPED_CONTROLS, unicodeEscape);
}

/** A configuration's problems, one indented line each, escaped: an issue quotes the configuration's own text. */
export function configIssueLines(issues: readonly { path: string; message: string }[]): string {
  return issues.map((issue) => `  ${printable(`${issue.path}: ${issue.message}`)}\n`).join('');
}
