import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every command that talks to the pipeline takes. */
export const TARGET_OPTIONS = {
  endpoint: { type: 'string' },
  'api-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  bus: { type: 'string' },
} as const satisfies Options;

export const TARGET_HELP = `Target (local runtime by default):
  --endpoint <url>   PutEvents endpoint (default $NORTHSTAR_ENDPOINT or http://127.0.0.1:4000;
                     with --region or --profile and no --endpoint: EventBridge in that region)
  --api-url <url>    read API (default $NORTHSTAR_API_URL or http://127.0.0.1:4000; on AWS the
                     read API's function URL, requests signed with SigV4)
  --region <name>    AWS region (default $AWS_REGION, or from the function URL)
  --profile <name>   AWS profile for credentials (default the SDK's chain)
  --bus <name>       event bus name (default northstar)`;

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

/** An ISO 8601 timestamp with a zone, or a date taken as UTC midnight. */
export function timestampOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
    Number.isNaN(Date.parse(text))
  )
    throw new UsageError(
      `--${name} must be a date (2026-11-01) or a timestamp with a zone (2026-11-01T00:00:00Z), got "${value}"`,
    );
  return new Date(Date.parse(text)).toISOString();
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
