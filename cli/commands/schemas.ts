import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../../shared/domain/config/load.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';
import { eventSchema } from '../../shared/domain/events/tracking-plan.js';
import { parseCommand } from '../args.js';
import { type CliIo, UsageError } from '../io.js';
import { configPath, DEFAULT_CONFIG } from './validate.js';

export const schemasHelp = `northstar schemas [--config file] [--out dir]

JSON Schema (draft-04, the EventBridge schema registry's JSONSchemaDraft4 type) of every
event of the tracking plan, generated from the same zod schemas ingest validates with: the
EventBridge event of a single-event entry (detail-type = the event name), and one for the
"${BATCH_DETAIL_TYPE}" entry. Printed as one JSON object by event name, or written
as <name>.json files with --out.

  --config <file>  configuration (default $NORTHSTAR_CONFIG or ${DEFAULT_CONFIG})
  --out <dir>      write one file per schema into this directory`;

type JsonSchema = Record<string, unknown>;

function detailSchema(config: NorthstarConfig, name: string): JsonSchema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(eventSchema(config.trackingPlan.events[name]!), {
    target: 'draft-04',
    io: 'input',
  }) as JsonSchema;
  return schema;
}

/** The whole EventBridge event as a rule target receives it, with the event's detail. */
function eventBridgeSchema(
  title: string,
  detailType: string,
  detail: JsonSchema,
  description: string,
): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title,
    description,
    type: 'object',
    required: ['detail-type', 'source', 'detail'],
    properties: {
      version: { type: 'string' },
      id: { type: 'string' },
      'detail-type': { type: 'string', enum: [detailType] },
      source: { type: 'string' },
      account: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      region: { type: 'string' },
      resources: { type: 'array', items: { type: 'string' } },
      detail,
    },
  };
}

export function trackingPlanJsonSchemas(config: NorthstarConfig): Record<string, JsonSchema> {
  const names = Object.keys(config.trackingPlan.events);
  const schemas: Record<string, JsonSchema> = {};
  for (const name of names) {
    schemas[name] = eventBridgeSchema(
      name,
      name,
      detailSchema(config, name),
      config.trackingPlan.events[name]!.description || `The ${name} event`,
    );
  }
  const elements = names.map((name) => {
    const detail = detailSchema(config, name);
    return {
      ...detail,
      required: ['name', ...((detail.required as string[] | undefined) ?? [])],
      properties: { name: { type: 'string', enum: [name] }, ...(detail.properties as JsonSchema) },
    };
  });
  schemas[BATCH_DETAIL_TYPE] = eventBridgeSchema(
    BATCH_DETAIL_TYPE,
    BATCH_DETAIL_TYPE,
    {
      type: 'object',
      required: ['events'],
      properties: { events: { type: 'array', minItems: 1, maxItems: 10_000, items: { anyOf: elements } } },
    },
    'Many product events in one entry; each element is validated on its own.',
  );
  return schemas;
}

const fileName = (name: string) => `${name.toLowerCase().replace(/[^a-z0-9_]+/g, '-')}.json`;

export async function schemasCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, { config: { type: 'string' }, out: { type: 'string' } });
  if (values.help) {
    io.stdout.write(`${schemasHelp}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`schemas takes no arguments, got "${positionals[0]}"`);
  const config = await loadConfig(configPath(values.config, io));
  const schemas = trackingPlanJsonSchemas(config);
  if (!values.out) {
    io.stdout.write(`${JSON.stringify(schemas, null, 2)}\n`);
    return 0;
  }
  const dir = resolve(io.cwd, values.out);
  await mkdir(dir, { recursive: true });
  for (const [name, schema] of Object.entries(schemas))
    await writeFile(join(dir, fileName(name)), `${JSON.stringify(schema, null, 2)}\n`);
  io.stdout.write(`Wrote ${Object.keys(schemas).length} schemas to ${values.out}\n`);
  return 0;
}
