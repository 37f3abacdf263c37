import { UsageError } from '../io.js';

/**
 * Rows of a CSV text (RFC 4180): fields split by commas, quoted fields may hold commas,
 * quotes (doubled) and line breaks. The first row is the header.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((cell) => cell !== '')) rows.push(row);
      row = [];
    } else field += char;
  }
  row.push(field);
  if (row.some((cell) => cell !== '')) rows.push(row);
  return rows;
}

type Kind = 'string' | 'number' | 'boolean';

/** Where each field of a product event comes from: a column, or a constant given as `@value`. */
export interface ColumnMapping {
  readonly fields: readonly {
    readonly path: readonly string[];
    readonly column?: string;
    readonly constant?: string;
    readonly kind: Kind;
  }[];
}

const REQUIRED = ['name', 'eventId', 'userId', 'occurredAt'] as const;
const TOP = new Set(['source', ...REQUIRED]);

/**
 * `--map name=event_name,userId=user_id,eventId=id,occurredAt=ts,properties.amount:number=amount`:
 * each target is an event field (`name`, `eventId`, `userId`, `occurredAt`, `source`) or
 * `properties.<name>` / `context.<name>`, optionally typed `:number` or `:boolean`; the
 * value is a column of the header, or `@text` for the same text in every row.
 */
export function parseMapping(spec: string): ColumnMapping {
  const fields = spec
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => {
      const split = part.indexOf('=');
      if (split <= 0) throw new UsageError(`--map: "${part}" must be <field>=<column>`);
      const [target, kind = 'string'] = part.slice(0, split).trim().split(':');
      const source = part.slice(split + 1).trim();
      const path = target!.split('.');
      if (
        !(path.length === 1 && TOP.has(path[0]!)) &&
        !(path.length === 2 && ['properties', 'context'].includes(path[0]!))
      )
        throw new UsageError(
          `--map: "${target}" is not an event field (name, eventId, userId, occurredAt, source, properties.<name>, context.<name>)`,
        );
      if (kind !== 'string' && kind !== 'number' && kind !== 'boolean')
        throw new UsageError(`--map: "${target}:${kind}" must be typed string, number or boolean`);
      if (source === '') throw new UsageError(`--map: ${target} has no column`);
      return source.startsWith('@')
        ? { path, constant: source.slice(1), kind: kind as Kind }
        : { path, column: source, kind: kind as Kind };
    });
  for (const required of REQUIRED)
    if (!fields.some((field) => field.path.length === 1 && field.path[0] === required))
      throw new UsageError(`--map must give ${required} (e.g. ${required}=<column>)`);
  return { fields };
}

function typed(value: string, kind: Kind, where: string): unknown {
  if (kind === 'string') return value;
  if (kind === 'number') {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number))
      throw new Error(`${where}: "${value}" is not a number`);
    return number;
  }
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`${where}: "${value}" is not true or false`);
}

/** A timestamp as the export wrote it, in RFC 3339 (a bare date-time is taken as UTC). */
function timestamp(value: string, where: string): string {
  const bare = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim());
  const parsed = Date.parse(bare ? `${value.trim().replace(' ', 'T')}Z` : value);
  if (Number.isNaN(parsed)) throw new Error(`${where}: "${value}" is not a timestamp`);
  return new Date(parsed).toISOString();
}

/**
 * NDJSON lines of product events from a CSV export, one per row, with the problems of rows
 * that cannot be read (their line in the CSV and why): those rows are left out.
 */
export function csvToEvents(text: string, mapping: ColumnMapping): { lines: string[]; problems: string[] } {
  const [header, ...rows] = parseCsv(text);
  if (!header) return { lines: [], problems: [] };
  const index = new Map(header.map((name, i) => [name.trim(), i]));
  for (const field of mapping.fields)
    if (field.column !== undefined && !index.has(field.column))
      throw new UsageError(
        `--map: the CSV has no column "${field.column}" (its columns: ${header.join(', ')})`,
      );
  const lines: string[] = [];
  const problems: string[] = [];
  rows.forEach((row, i) => {
    const where = `row ${i + 2}`;
    try {
      const event: Record<string, unknown> = {};
      for (const field of mapping.fields) {
        const raw = field.constant ?? row[index.get(field.column!)!] ?? '';
        const [head, name] = field.path as [string, string?];
        // An empty cell leaves an optional property out, as an export of NULL means.
        if (name !== undefined && raw === '') continue;
        const value =
          head === 'occurredAt'
            ? timestamp(raw, where)
            : typed(raw, field.kind, `${where} ${field.path.join('.')}`);
        if (name === undefined) event[head] = value;
        else ((event[head] ??= {}) as Record<string, unknown>)[name] = value;
      }
      lines.push(JSON.stringify(event));
    } catch (error) {
      problems.push((error as Error).message);
    }
  });
  return { lines, problems };
}
