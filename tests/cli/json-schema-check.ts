/**
 * The part of JSON Schema draft-04 the generated schemas use (type, required, properties,
 * additionalProperties, enum, string length, number bounds, items, anyOf), enough to check
 * sample events against them in tests. Returns the paths that fail.
 */
type Schema = Record<string, unknown>;

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

export function schemaErrors(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const type = schema.type as string | string[] | undefined;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number')))
      return [`${path}: not ${types.join('|')}`];
  }
  if (
    Array.isArray(schema.enum) &&
    !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))
  )
    errors.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      errors.push(`${path}: too short`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      errors.push(`${path}: too long`);
  }
  if (
    Array.isArray(schema.anyOf) &&
    !schema.anyOf.some((option) => schemaErrors(option as Schema, value, path).length === 0)
  )
    errors.push(`${path}: matches none of anyOf`);
  if (typeOf(value) === 'object') {
    const object = value as Record<string, unknown>;
    for (const name of (schema.required as string[] | undefined) ?? [])
      if (!(name in object)) errors.push(`${path}.${name}: required`);
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [name, child] of Object.entries(object)) {
      if (properties[name]) errors.push(...schemaErrors(properties[name], child, `${path}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${path}.${name}: not allowed`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...schemaErrors(schema.additionalProperties as Schema, child, `${path}.${name}`));
    }
  }
  if (Array.isArray(value) && typeof schema.items === 'object') {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      errors.push(`${path}: too few items`);
    for (const [index, item] of value.entries())
      errors.push(...schemaErrors(schema.items as Schema, item, `${path}[${index}]`));
  }
  return errors;
}
