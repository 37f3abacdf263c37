import { z } from 'zod';
import type { BatchEvent } from '../../client/pack-entries.js';
import { RESERVED_SOURCE_PREFIX } from '../../shared/domain/bus/rule-patterns.js';
import { BATCH_DETAIL_TYPE } from '../../shared/domain/events/envelope.js';

/** A product event as replay sends it (SEMANTICS.md section 1). */
export const ReplayEvent = z.object({
  name: z.string().min(1),
  eventId: z.string().min(1).max(128),
  userId: z.string().min(1).max(256),
  occurredAt: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 timestamp with offset' }),
  properties: z.record(z.string(), z.unknown()).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});

export interface SourcedEvent {
  readonly source: string;
  readonly event: BatchEvent;
}

/** What one NDJSON line holds: events to send, problems to report, events to leave out. */
export interface LineContent {
  readonly events: SourcedEvent[];
  readonly problems: string[];
  /** Events of the pipeline itself (source `northstar...`): never replayed as product events. */
  skipped: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function checkEvent(value: unknown, source: string, where: string, content: LineContent): void {
  const parsed = ReplayEvent.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || 'event';
    content.problems.push(
      `${where}${path}: ${issue?.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue?.message}`,
    );
    return;
  }
  const { name, eventId, userId, occurredAt, properties, context } = parsed.data;
  content.events.push({
    source,
    event: {
      name,
      eventId,
      userId,
      occurredAt,
      ...(properties ? { properties } : {}),
      ...(context ? { context } : {}),
    },
  });
}

/**
 * One line of replay input, in any of three forms: a product event
 * `{ name, eventId, userId, occurredAt, properties?, context?, source? }`; an EventBridge
 * event as the local runtime archives it (`{ arrivedAt, event }`, the event with `source`,
 * `detail-type`, `detail`), single or
 * `Northstar Event Batch`; or a PutEvents entry (`Source`, `DetailType`, `Detail` string).
 */
export function parseLine(line: string, defaultSource: string | undefined): LineContent {
  const content: LineContent = { events: [], problems: [], skipped: 0 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    content.problems.push(`not JSON: ${(error as Error).message}`);
    return content;
  }
  if (!isObject(parsed)) {
    content.problems.push('not a JSON object');
    return content;
  }
  // The local archive keeps each event with its arrival time.
  const json = 'arrivedAt' in parsed && isObject(parsed.event) ? parsed.event : parsed;
  let source: unknown;
  let detailType: unknown;
  let detail: unknown;
  if ('detail-type' in json || 'detail' in json) {
    ({ source, 'detail-type': detailType, detail } = json);
  } else if ('DetailType' in json || 'Detail' in json) {
    source = json.Source;
    detailType = json.DetailType;
    try {
      detail = typeof json.Detail === 'string' ? JSON.parse(json.Detail) : undefined;
    } catch {
      detail = undefined;
    }
  } else {
    source = json.source ?? defaultSource;
    if (typeof source !== 'string' || source === '') {
      content.problems.push('no source: add "source" to the line or give --source');
      return content;
    }
    if (source.startsWith(RESERVED_SOURCE_PREFIX))
      content.problems.push(`source "${source}" is reserved for the pipeline`);
    else checkEvent(json, source, '', content);
    return content;
  }
  if (typeof source !== 'string' || source === '' || typeof detailType !== 'string' || !isObject(detail)) {
    content.problems.push('an entry needs a source, a detail-type and an object detail');
    return content;
  }
  if (source.startsWith(RESERVED_SOURCE_PREFIX)) {
    content.skipped +=
      detailType === BATCH_DETAIL_TYPE && Array.isArray(detail.events) ? detail.events.length : 1;
    return content;
  }
  if (detailType !== BATCH_DETAIL_TYPE) {
    checkEvent({ ...detail, name: detailType }, source, '', content);
    return content;
  }
  if (!Array.isArray(detail.events) || detail.events.length === 0) {
    content.problems.push('a batch entry needs a non-empty detail.events array');
    return content;
  }
  detail.events.forEach((element, index) => {
    checkEvent(element, source as string, `events[${index}] `, content);
  });
  return content;
}
