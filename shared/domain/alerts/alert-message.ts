/**
 * The readable alert message, defined once. In AWS, EventBridge renders it with an
 * input transformer on the way to each owner team's SNS topic (email reads it as is;
 * the chat webhook formatter unwraps it); the local runtime and tests render the same
 * lines from an event with `renderAlertText`. Plain data, no aws-cdk import.
 */

import { DIGEST_MESSAGE_KIND } from '../review/digest-delivery.js';

/** A reference to one field of the alert event by its EventBridge JSON path (dot notation). */
export type AlertField = (path: string) => string;

/**
 * The lines of an alert message, each with references to fields of the event. Only
 * scalar fields that every alert kind carries: an input transformer cannot branch.
 */
export function alertTextLines(field: AlertField): string[] {
  return [
    `${field('$.detail-type')}: ${field('$.detail.metric.title')}`,
    `Period: ${field('$.detail.grain')} ${field('$.detail.period')} (${field('$.detail.periodStart')} to ${field('$.detail.periodEnd')})`,
    `Observed: ${field('$.detail.observed')}, expected: ${field('$.detail.expected')}, band: ${field('$.detail.band.lower')} to ${field('$.detail.band.upper')}`,
    `Relative deviation: ${field('$.detail.relativeDeviation')}, severity: ${field('$.detail.severity')}`,
    `Owner: ${field('$.detail.owner.name')} (team ${field('$.detail.owner.team')})`,
    `Likely cause: ${field('$.detail.cause')}`,
    `Chart: ${field('$.detail.link')}`,
    `Alert id: ${field('$.detail.alertId')}`,
  ];
}

/** The value at a dot-notation JSON path such as `$.detail.band.lower`; undefined when absent. */
function valueAt(event: unknown, path: string): unknown {
  if (!path.startsWith('$.')) throw new Error(`"${path}" is not a JSON path starting with $.`);
  let value: unknown = event;
  for (const key of path.slice(2).split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** A value as an input transformer writes it into text: strings bare, anything else as JSON. */
function asText(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The message of one alert event (EventBridge shape: `detail-type`, `detail`), as in AWS. */
export function renderAlertText(event: unknown): string {
  return alertTextLines((path) => asText(valueAt(event, path))).join('\n');
}

/**
 * The rendered template arrives as one JSON string per line (`"Period: week 2026-W48"`),
 * the encoding an input transformer needs. Each line is decoded; a line a substituted
 * value made invalid JSON (a quote in a title) loses its outer quotes only.
 */
export function unquoteTemplateLines(message: string): string {
  return message
    .split('\n')
    .map((line) => {
      const trimmed = line.trim();
      if (!(trimmed.startsWith('"') && trimmed.endsWith('"') && trimmed.length >= 2)) return line;
      try {
        const decoded: unknown = JSON.parse(trimmed);
        return typeof decoded === 'string' ? decoded : trimmed;
      } catch {
        return trimmed.slice(1, -1);
      }
    })
    .join('\n');
}

/** Chat webhooks (Slack, Mattermost, Google Chat, Teams workflows) all take `{ text }`. */
export interface ChatWebhookBody {
  readonly text: string;
}

/**
 * The body to POST to a chat webhook for one topic message as SNS delivered it. An alert's
 * lines are JSON strings to decode; a review digest (marked by its message attribute) is
 * plain text already, and decoding could change a line that happens to be quoted.
 */
export function chatWebhookBody(message: string, kind?: string): ChatWebhookBody {
  return { text: kind === DIGEST_MESSAGE_KIND ? message : unquoteTemplateLines(message) };
}
