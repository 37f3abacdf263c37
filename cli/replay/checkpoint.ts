import { rename, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { readTextIfExists } from '../../shared/adapters/file/read-if-exists.js';
import { CommandError, printable } from '../io.js';

/** Totals of a replay; a resumed replay carries on from the saved ones. */
export const ReplayCounters = z.object({
  lines: z.number().int(),
  events: z.number().int(),
  invalid: z.number().int(),
  duplicates: z.number().int(),
  skipped: z.number().int(),
  entries: z.number().int(),
  calls: z.number().int(),
  accepted: z.number().int(),
  rejected: z.number().int(),
});
export type ReplayCounters = z.infer<typeof ReplayCounters>;

export const zeroCounters = (): ReplayCounters => ({
  lines: 0,
  events: 0,
  invalid: 0,
  duplicates: 0,
  skipped: 0,
  entries: 0,
  calls: 0,
  accepted: 0,
  rejected: 0,
});

/** Lines `from`..`to` (1-based, inclusive) of input file `file`, every event of them confirmed. */
const LineRange = z.object({ file: z.number().int(), from: z.number().int(), to: z.number().int() });
export type LineRange = z.infer<typeof LineRange>;

export const Checkpoint = z.object({
  version: z.literal(1),
  /** The input it belongs to: each file's path and size. */
  input: z.array(z.object({ path: z.string(), bytes: z.number().int() })),
  /** Confirmed line ranges: PutEvents answered for every entry of them. */
  confirmed: z.array(LineRange),
  counters: ReplayCounters,
  /** Problems found so far, `file:line: message` (the first 1000). */
  problems: z.array(z.string()),
  done: z.boolean(),
  updatedAt: z.string(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

export async function readCheckpoint(path: string): Promise<Checkpoint | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    // The parser's message quotes the file: printed escaped, like any input.
    throw new CommandError(
      printable(`${path} is not a replay checkpoint: not JSON (${(cause as Error).message})`),
      1,
      { cause },
    );
  }
  const parsed = Checkpoint.safeParse(json);
  if (!parsed.success) {
    const problems = z.prettifyError(parsed.error);
    throw new CommandError(`${printable(path)} is not a replay checkpoint: ${problems}`, 1, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** Written to a temporary file, then renamed: a crash mid-write never leaves half a checkpoint. */
export async function writeCheckpoint(path: string, checkpoint: Checkpoint): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(checkpoint)}\n`);
  await rename(temporary, path);
}

/** Adds a range, merging it with touching neighbours, so the list stays short. */
export function addRange(ranges: readonly LineRange[], range: LineRange): LineRange[] {
  const all = [...ranges, range].sort((a, b) => a.file - b.file || a.from - b.from);
  const merged: LineRange[] = [];
  for (const next of all) {
    const last = merged.at(-1);
    if (last && last.file === next.file && next.from <= last.to + 1)
      merged[merged.length - 1] = { ...last, to: Math.max(last.to, next.to) };
    else merged.push({ ...next });
  }
  return merged;
}

export function isConfirmed(ranges: readonly LineRange[], file: number, line: number): boolean {
  return ranges.some((range) => range.file === file && range.from <= line && line <= range.to);
}
