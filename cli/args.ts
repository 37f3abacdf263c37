import { type ParseArgsConfig, parseArgs } from 'node:util';
import { z } from 'zod';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that talks to the pipeline takes. */
export const TARGET_OPTIONS = {
  endpoint: { type: 'string' },
  'api-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  bus: { type: 'string' },
  token: { type: 'string' },
} as const satisfies Options;

export const TARGET_HELP = `Target (local runtime by default):
  --endpoint <url>   PutEvents endpoint (default $NORTHSTAR_ENDPOINT or http://127.0.0.1:4000;
                     with --region or --profile and no --endpoint: EventBridge in that region)
  --api-url <url>    read API (default $NORTHSTAR_API_URL or http://127.0.0.1:4000; on AWS the
                     read API's function URL, requests signed with SigV4)
  --region <name>    AWS region (default $AWS_REGION, or from the function URL)
  --profile <name>   AWS profile for credentials (default the SDK's chain)
  --bus <name>       event bus name (default northstar)
  --token <token>    the token of a local runtime started with one (default $NORTHSTAR_TOKEN):
                     sent as Authorization: Bearer to its read API, and as the secret access
                     key PutEvents calls are signed with; never sent to AWS`;

export interface Parsed<V> {
  readonly values: V;
  readonly positionals: string[];
}

/** Strict parsing: an unknown option or a missing value is a usage error, never ignored. */
export function parseCommand<const O extends Options>(argv: readonly string[], options: O) {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return parsed as unknown as Parsed<
      { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string } & { help?: boolean }
    >;
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

const TIMESTAMP_FORMS = 'a date (2026-11-01) or a timestamp with a zone (2026-11-01T00:00:00Z)';

/**
 * A time flag (--from, --to): an RFC 3339 timestamp with a zone, seconds optional, or a date
 * taken as UTC midnight; as the ISO string the read API expects. A calendar check, not only a
 * pattern: 2026-02-30 is refused rather than rolled over into March.
 */
export const CliTimestamp = z
  .union([z.iso.date(), z.iso.datetime({ offset: true }), z.iso.datetime({ offset: true, precision: -1 })], {
    error: `must be ${TIMESTAMP_FORMS}`,
  })
  .transform((text) => new Date(text.length === 10 ? `${text}T00:00:00Z` : text).toISOString());
export type CliTimestamp = z.infer<typeof CliTimestamp>;

/** A UTC day flag (--day), YYYY-MM-DD. */
export const CliDay = z.iso.date({ error: 'must be a date YYYY-MM-DD' });
export type CliDay = z.infer<typeof CliDay>;

/** Parses one flag's value; a bad value is a usage error naming the flag and quoting the value. */
function flagValue<S extends z.ZodType<unknown, string>>(
  schema: S,
  name: string,
  value: string | undefined,
): z.output<S> | undefined {
  if (value === undefined) return undefined;
  const parsed = schema.safeParse(value);
  // One value, one issue: its message reads after the flag's name, without prettifyError's
  // bullet, e.g. `--from must be a date ..., got "last tuesday"`.
  if (!parsed.success)
    throw new UsageError(`--${name} ${parsed.error.issues[0]?.message ?? 'is invalid'}, got "${value}"`);
  return parsed.data;
}

export function timestampOption(name: string, value: string | undefined): CliTimestamp | undefined {
  return flagValue(CliTimestamp, name, value);
}

export function dayOption(name: string, value: string | undefined): CliDay | undefined {
  return flagValue(CliDay, name, value);
}

export function integerOption(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return number;
}
