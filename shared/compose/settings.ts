import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { NorthstarConfig } from '../domain/config/schema.js';
import { parseConfig } from '../domain/config/validate.js';
import { NorthstarError } from '../domain/errors.js';

/** Lambda environment, parsed once. Resource names have no defaults: a missing one fails by name. */
export const PipelineEnv = z.object({
  TABLE_NAME: z.string().min(3),
  NORTHSTAR_CONFIG_FILE: z.string().min(1),
  /** Set only for the local runtime and tests. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  /** The deployed dashboard: alert links lead there instead of the configuration's `recompute.dashboardUrl`. */
  DASHBOARD_URL: z.url().optional(),
});
export type PipelineEnv = z.infer<typeof PipelineEnv>;

/** How long a function uses a read of the definition versions' registry. */
const RegistryCacheSeconds = z.coerce.number().int().min(0).max(300);

/** Ingest reads the registry (cached): a backfill's namespace counts live traffic too. */
export const IngestEnv = PipelineEnv.extend({ REGISTRY_CACHE_SECONDS: RegistryCacheSeconds });
export type IngestEnv = z.infer<typeof IngestEnv>;

/**
 * The recompute also sends alerts to the bus, and plans the definition versions: it starts
 * the backfill state machine for a new generation.
 */
export const RecomputeEnv = PipelineEnv.extend({
  EVENT_BUS_NAME: z.string().min(1),
  /** Set only for the local runtime and tests. */
  EVENTBRIDGE_ENDPOINT: z.url().optional(),
  BACKFILL_STATE_MACHINE_ARN: z.string().startsWith('arn:'),
  BACKFILL_PARTITIONS: z.coerce.number().int().min(1).max(1000),
  /** From a backfill's start to its cut: the ingest functions' registry cache plus Firehose's buffer. */
  BACKFILL_CUT_AFTER_SECONDS: z.coerce.number().int().min(0),
  /** From the cut until the archive is listed: Firehose's delivery of its last buffer. */
  BACKFILL_LIST_AFTER_SECONDS: z.coerce.number().int().min(0),
  /** The ingest queue: its oldest message's age is the ingest watermark. Unset: periods settle by the clock alone. */
  INGEST_QUEUE_NAME: z.string().min(1).optional(),
});
export type RecomputeEnv = z.infer<typeof RecomputeEnv>;

/** The API runs the recompute by invoking the recompute function: one writer of rollups and alerts. */
export const ApiEnv = PipelineEnv.extend({
  RECOMPUTE_FUNCTION_NAME: z.string().min(1),
  REGISTRY_CACHE_SECONDS: RegistryCacheSeconds,
  /** Behind the dashboard's sign-in: the OIDC issuer and the dashboard's client id there. */
  SIGN_IN_ISSUER: z.url().optional(),
  SIGN_IN_CLIENT_ID: z.string().min(1).optional(),
  SIGN_IN_GROUPS_CLAIM: z.string().min(1).optional(),
  SIGN_IN_ADMIN_GROUP: z.string().min(1).optional(),
  /** Cognito's hosted sign-out, which its discovery document does not list. */
  SIGN_IN_LOGOUT_URL: z.url().optional(),
  /** The archive bucket: with it the API takes history imports, kept under `history/`. */
  ARCHIVE_BUCKET: z.string().min(3).optional(),
}).refine((env) => (env.SIGN_IN_ISSUER === undefined) === (env.SIGN_IN_CLIENT_ID === undefined), {
  message: 'SIGN_IN_ISSUER and SIGN_IN_CLIENT_ID come together: both for sign-in, neither without',
  path: ['SIGN_IN_CLIENT_ID'],
});
export type ApiEnv = z.infer<typeof ApiEnv>;

/** The backfill's steps read the archive bucket and write partitions back beside it. */
export const BackfillEnv = PipelineEnv.extend({ ARCHIVE_BUCKET: z.string().min(3) });
export type BackfillEnv = z.infer<typeof BackfillEnv>;

/**
 * The collector reads the configuration (its `collector` section), and of the table only the
 * identify links (its own items): it puts what it takes on the bus, keeps what it cannot put
 * in a bucket, and reads write keys from a secret as well as from the configuration.
 */
export const CollectorEnv = z.object({
  NORTHSTAR_CONFIG_FILE: z.string().min(1),
  /** The pipeline's table: the collector reads and writes its identify links there. */
  TABLE_NAME: z.string().min(3),
  /** Set only for the local runtime and tests. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  /** The queue the packer reads: each request's entries are one message. */
  COLLECTOR_QUEUE_URL: z.url(),
  KEPT_ENTRIES_BUCKET: z.string().min(3),
  /** The secret that holds write keys as JSON (the shape of `collector.writeKeys`). */
  WRITE_KEYS_SECRET_ID: z.string().min(1),
  /** How long a read of the secret is used: revoking a key takes effect within this. */
  WRITE_KEYS_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600),
});
export type CollectorEnv = z.infer<typeof CollectorEnv>;

/** The collector's packer: from its queue to the bus. */
export const PackerEnv = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  /** Set only for tests. */
  EVENTBRIDGE_ENDPOINT: z.url().optional(),
});

export class SettingsError extends NorthstarError {
  override readonly name = 'SettingsError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_settings', message, options);
  }
}

/** The environment through its schema; the error names every missing or malformed variable. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new SettingsError(`Invalid environment: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

/**
 * A variable holding JSON the stack wrote from the configuration (the chat webhooks' and the
 * digests' routes), through its schema; the error names the variable and what is wrong.
 */
export function parseJsonEnv<T extends z.ZodType>(
  name: string,
  schema: T,
  env: NodeJS.ProcessEnv,
): z.infer<T> {
  const text = env[name];
  if (!text) throw new SettingsError(`Invalid environment: ${name} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new SettingsError(`Invalid environment: ${name} is not JSON`, { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new SettingsError(`Invalid environment: ${name} ${z.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  return parsed.data;
}

/** The bundled configuration (JSON, validated when the function starts). */
export function loadConfigFile(file: string): NorthstarConfig {
  return parseConfig(JSON.parse(readFileSync(file, 'utf8')));
}
