import { z } from 'zod';
import { RESERVED_SOURCE_PREFIX } from '../bus/rule-patterns.js';
import type { EventDefinition, NorthstarConfig, PropertyDefinition } from '../config/schema.js';
import type { CompiledConfig } from '../engine/compiled-config.js';
import {
  BATCH_DETAIL_TYPE,
  EventBatchDetail,
  EventBridgeEvent,
  type ProductEvent,
  type Rejection,
  type RejectionReason,
} from './envelope.js';
import { canonicalJson, shortHash } from './hash.js';

function propertySchema(definition: PropertyDefinition): z.ZodType {
  const base =
    definition.type === 'string'
      ? z.string().max(definition.maxLength)
      : definition.type === 'number'
        ? z.number().finite()
        : definition.type === 'boolean'
          ? z.boolean()
          : z.enum(definition.values as [string, ...string[]]);
  return definition.required ? base : base.optional();
}

/** The zod schema of one tracking-plan event: the envelope fields plus its typed properties. */
export function eventSchema(definition: EventDefinition) {
  const properties = Object.fromEntries(
    Object.entries(definition.properties).map(([name, property]) => [name, propertySchema(property)]),
  );
  return z.object({
    eventId: z.string().min(1).max(128),
    userId: z.string().min(1).max(256),
    occurredAt: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp with offset' }),
    // Properties outside the plan are kept but never counted; only planned ones are checked.
    properties: z.looseObject(properties).default({}),
    context: z.record(z.string(), z.unknown()).optional(),
  });
}

export type TrackingPlanSchemas = ReadonlyMap<string, ReturnType<typeof eventSchema>>;

export function trackingPlanSchemas(config: NorthstarConfig): TrackingPlanSchemas {
  return new Map(
    Object.entries(config.trackingPlan.events).map(([name, definition]) => [name, eventSchema(definition)]),
  );
}

const ENVELOPE_FIELDS = new Set(['eventId', 'userId', 'occurredAt', 'context']);

export interface ParsedEntry {
  readonly events: ProductEvent[];
  readonly rejections: Rejection[];
}

interface Context {
  readonly compiled: CompiledConfig;
  readonly schemas: TrackingPlanSchemas;
  readonly arrivedAt: number;
}

function pick(value: Record<string, unknown>, field: string): string | undefined {
  const found = Object.hasOwn(value, field) ? value[field] : undefined;
  return typeof found === 'string' ? found : undefined;
}

function reject(
  reason: RejectionReason,
  message: string,
  raw: string,
  arrivedAt: number,
  extra: Partial<Rejection> = {},
): Rejection {
  return { reason, message, raw, arrivedAt, ...extra };
}

function parseEvent(
  source: string,
  name: string,
  element: Record<string, unknown>,
  raw: string,
  context: Context,
): ProductEvent | Rejection {
  const { compiled, arrivedAt } = context;
  const ids = { source, name, eventId: pick(element, 'eventId'), userId: pick(element, 'userId') };
  // The event's own size, whether it came alone or in a batch entry.
  const bytes = Buffer.byteLength(JSON.stringify(element));
  if (bytes > compiled.config.ingest.maxEventBytes) {
    return reject(
      'too_large',
      `event is ${bytes} bytes, over the limit of ${compiled.config.ingest.maxEventBytes}`,
      raw,
      arrivedAt,
      ids,
    );
  }
  const schema = context.schemas.get(name);
  if (!schema)
    return reject('unknown_event', `event "${name}" is not in the tracking plan`, raw, arrivedAt, ids);
  const parsed = schema.safeParse(element);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const path = issue?.path.join('.') || '(event)';
    const missing = ENVELOPE_FIELDS.has(field) && !Object.hasOwn(element, field);
    const reason: RejectionReason =
      field === 'properties' ? 'invalid_property' : missing ? 'missing_field' : 'malformed_field';
    const message = missing ? `${path} is required` : `${path}: ${issue?.message ?? 'invalid'}`;
    return reject(reason, message, raw, arrivedAt, ids);
  }
  const event = parsed.data;
  const occurredAt = Date.parse(event.occurredAt);
  if (occurredAt > arrivedAt + compiled.clockSkewMs) {
    return reject(
      'future_event',
      `occurredAt ${event.occurredAt} is later than arrival plus the allowed clock skew (${compiled.config.clockSkew})`,
      raw,
      arrivedAt,
      ids,
    );
  }
  if (occurredAt < arrivedAt - compiled.maxLatenessMs) {
    return reject(
      'too_late',
      `occurredAt ${event.occurredAt} is older than the maximum lateness (${compiled.config.maxLateness})`,
      raw,
      arrivedAt,
      ids,
    );
  }
  return {
    source,
    name,
    eventId: event.eventId,
    userId: event.userId,
    occurredAt,
    properties: event.properties,
    ...(event.context ? { context: event.context } : {}),
    key: shortHash(`${source}\u0000${event.eventId}`, 12),
    payloadHash: shortHash(
      canonicalJson({
        name,
        userId: event.userId,
        occurredAt,
        properties: event.properties,
        context: event.context ?? null,
      }),
      6,
    ),
    arrivedAt,
  };
}

/**
 * Validates one EventBridge entry (single event or `Northstar Event Batch`) against the
 * envelope and the tracking plan. Every event is accepted or rejected on its own.
 */
export function parseEntry(body: string, context: Context): ParsedEntry {
  const events: ProductEvent[] = [];
  const rejections: Rejection[] = [];
  const add = (result: ProductEvent | Rejection) =>
    'reason' in result ? rejections.push(result) : events.push(result);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (cause) {
    add(reject('malformed_entry', `entry is not JSON: ${(cause as Error).message}`, body, context.arrivedAt));
    return { events, rejections };
  }
  const envelope = EventBridgeEvent.safeParse(json);
  if (!envelope.success) {
    add(
      reject(
        'malformed_entry',
        `entry is not an EventBridge event: ${z.prettifyError(envelope.error)}`,
        body,
        context.arrivedAt,
      ),
    );
    return { events, rejections };
  }
  const { source, 'detail-type': detailType, detail } = envelope.data;
  if (source.startsWith(RESERVED_SOURCE_PREFIX)) {
    add(
      reject(
        'reserved_source',
        `source prefix "${RESERVED_SOURCE_PREFIX}" is reserved for the pipeline`,
        body,
        context.arrivedAt,
        { source },
      ),
    );
    return { events, rejections };
  }
  if (detailType !== BATCH_DETAIL_TYPE) {
    // The raw entry as received, envelope and all, so a replay sends exactly it.
    add(parseEvent(source, detailType, detail, body, context));
    return { events, rejections };
  }
  const batch = EventBatchDetail.safeParse(detail);
  if (!batch.success) {
    add(
      reject('malformed_batch', `batch entry: ${z.prettifyError(batch.error)}`, body, context.arrivedAt, {
        source,
      }),
    );
    return { events, rejections };
  }
  batch.data.events.forEach((value, index) => {
    const raw = JSON.stringify({ source, event: value });
    // One bad element never rejects its neighbours.
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      add(reject('malformed_batch', `events[${index}] is not an object`, raw, context.arrivedAt, { source }));
      return;
    }
    const element = value as Record<string, unknown>;
    const name = pick(element, 'name');
    if (name === undefined)
      add(reject('missing_field', 'name is required in a batch event', raw, context.arrivedAt, { source }));
    else add(parseEvent(source, name, element, raw, context));
  });
  return { events, rejections };
}
