/**
 * Counter deltas grouped by counter item. An item holds every counter of one period:
 * key `<grain>#<period>` (or `all` for counters without a period), fields named
 * `<definition id>.<part>`.
 */
export type Deltas = Map<string, Map<string, number>>;

export const ALL_TIME = 'all';

export function itemKey(grain: string, period: string): string {
  return `${grain}#${period}`;
}

export function addDelta(deltas: Deltas, item: string, field: string, amount: number): void {
  if (amount === 0) return;
  let fields = deltas.get(item);
  if (!fields) {
    fields = new Map();
    deltas.set(item, fields);
  }
  const next = (fields.get(field) ?? 0) + amount;
  if (next === 0) fields.delete(field);
  else fields.set(field, next);
  if (fields.size === 0) deltas.delete(item);
}

export function mergeDeltas(into: Deltas, from: Deltas, sign = 1): Deltas {
  for (const [item, fields] of from)
    for (const [field, amount] of fields) addDelta(into, item, field, sign * amount);
  return into;
}

export type DeltasJson = Record<string, Record<string, number>>;

export function deltasToJson(deltas: Deltas): DeltasJson {
  return Object.fromEntries([...deltas].map(([item, fields]) => [item, Object.fromEntries(fields)]));
}

export function deltasFromJson(json: DeltasJson): Deltas {
  const deltas: Deltas = new Map();
  for (const [item, fields] of Object.entries(json))
    for (const [field, amount] of Object.entries(fields)) addDelta(deltas, item, field, amount);
  return deltas;
}
