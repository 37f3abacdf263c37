import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface CapacityTotals {
  writeUnits: number;
  readUnits: number;
  writesByItemType: Record<string, number>;
  /** Single-item write calls (PutItem, UpdateItem, DeleteItem) and items in batch writes. */
  writeCalls: number;
  /** Writes refused by their condition: DynamoDB bills them too, at least one unit each. */
  failedConditions: number;
}

/** The item type from a key: `U`, `C`, `R`, `DIRTY`, `Q`. */
function itemType(input: Record<string, unknown>): string {
  const key = (input.Key ?? input.Item) as Record<string, { S?: string }> | undefined;
  const pk = key?.pk?.S;
  return pk ? (pk.split('#')[0] ?? pk) : 'batch';
}

/**
 * Asks DynamoDB for the consumed capacity of every call and adds it up. DynamoDB Local
 * reports it like DynamoDB does (1 write unit per started KB, reads per 4 KB).
 */
export function measureCapacity(client: DynamoDBClient): CapacityTotals {
  const totals: CapacityTotals = {
    writeUnits: 0,
    readUnits: 0,
    writesByItemType: {},
    writeCalls: 0,
    failedConditions: 0,
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      const command = context.commandName ?? '';
      if (/Item|Query|Scan/.test(command)) input.ReturnConsumedCapacity = 'TOTAL';
      if (/^(Put|Update|Delete)Item/.test(command)) totals.writeCalls++;
      if (command.startsWith('BatchWriteItem')) {
        const requests = Object.values((input.RequestItems ?? {}) as Record<string, unknown[]>);
        totals.writeCalls += requests.reduce((sum, list) => sum + list.length, 0);
      }
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        if ((error as Error).name === 'ConditionalCheckFailedException') {
          // Counted as one unit: the least a refused write is billed.
          totals.failedConditions++;
          totals.writeUnits += 1;
          const type = `${itemType(input)} refused`;
          totals.writesByItemType[type] = (totals.writesByItemType[type] ?? 0) + 1;
        }
        throw error;
      }
      const output = result.output as { ConsumedCapacity?: unknown };
      const consumed = [output.ConsumedCapacity ?? []].flat() as {
        WriteCapacityUnits?: number;
        ReadCapacityUnits?: number;
        CapacityUnits?: number;
      }[];
      for (const entry of consumed) {
        const write =
          entry.WriteCapacityUnits ??
          (/Put|Update|Delete|Write/.test(command) ? (entry.CapacityUnits ?? 0) : 0);
        const read =
          entry.ReadCapacityUnits ?? (/Get|Query|Scan/.test(command) ? (entry.CapacityUnits ?? 0) : 0);
        totals.writeUnits += write;
        totals.readUnits += read;
        if (write > 0) {
          const type = itemType(input);
          totals.writesByItemType[type] = (totals.writesByItemType[type] ?? 0) + write;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'measureCapacity' },
  );
  return totals;
}
