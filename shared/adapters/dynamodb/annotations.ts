import { DeleteItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Annotation, Annotations } from '../../ports/annotations.js';
import { s } from './attributes.js';
import { queryAll, type TableRef } from './batch.js';
import { ANNOTATION_PK } from './keys.js';

/**
 * Owners' annotations, one item each under `ANNOTATION` (a team adds a few a month): the
 * recompute and every chart read them all at once.
 */
export class AnnotationItems implements Annotations {
  constructor(private readonly table: TableRef) {}

  async putAnnotation(annotation: Annotation): Promise<void> {
    await this.table.client.send(
      // UpdateItem, as every item the read API writes: its grant names that action alone.
      new UpdateItemCommand({
        TableName: this.table.tableName,
        Key: { pk: s(ANNOTATION_PK), sk: s(annotation.id) },
        UpdateExpression: 'SET #data = :data',
        ExpressionAttributeNames: { '#data': 'data' },
        ExpressionAttributeValues: { ':data': s(JSON.stringify(annotation)) },
      }),
    );
  }

  async listAnnotations(): Promise<Annotation[]> {
    const items = await queryAll(this.table, { pk: ANNOTATION_PK });
    return items
      .map((item) => JSON.parse(item.data?.S ?? '{}') as Annotation)
      .sort((a, b) => a.from - b.from || a.id.localeCompare(b.id));
  }

  async removeAnnotation(id: string): Promise<boolean> {
    const result = await this.table.client.send(
      new DeleteItemCommand({
        TableName: this.table.tableName,
        Key: { pk: s(ANNOTATION_PK), sk: s(id) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return result.Attributes !== undefined;
  }
}
