import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DeadLetter, DeadLetters } from '../../ports/dead-letters.js';
import { n, s } from './attributes.js';
import { queryAll, type TableRef } from './batch.js';
import { DEAD_LETTER_PK, deadLetterSk, parseDeadLetterSk } from './keys.js';

/** The local runtime's dead letters (`DLQ`, `<at>#<message id>`); in AWS they sit in SQS. */
export class DeadLetterItems implements DeadLetters {
  constructor(private readonly table: TableRef) {}

  async putDeadLetter(letter: DeadLetter): Promise<void> {
    await this.table.client.send(
      new PutItemCommand({
        TableName: this.table.tableName,
        Item: {
          pk: s(DEAD_LETTER_PK),
          sk: s(deadLetterSk(letter.deadLetteredAt, letter.messageId)),
          body: s(letter.body),
          error: s(letter.error),
          receives: n(letter.receives),
        },
      }),
    );
  }

  async listDeadLetters(): Promise<DeadLetter[]> {
    const items = await queryAll(this.table, { pk: DEAD_LETTER_PK });
    return items
      .map((item) => ({
        ...parseDeadLetterSk(item.sk?.S ?? ''),
        body: item.body?.S ?? '',
        error: item.error?.S ?? '',
        receives: Number(item.receives?.N ?? 0),
      }))
      .reverse();
  }
}
