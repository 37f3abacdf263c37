import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** An item as the low-level client reads and writes it. */
export type Item = Record<string, AttributeValue>;

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });
export const bool = (value: boolean): AttributeValue => ({ BOOL: value });
/** DynamoDB's TTL attribute: epoch seconds. */
export const ttlSeconds = (epochMs: number): AttributeValue => ({ N: String(Math.ceil(epochMs / 1000)) });
