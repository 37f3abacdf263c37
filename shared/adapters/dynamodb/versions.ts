import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { VersionRegistry } from '../../domain/engine/versions.js';
import type { Versions } from '../../ports/versions.js';
import { s } from './attributes.js';
import type { TableRef } from './batch.js';
import { VERSIONS_KEY } from './keys.js';

/** The registry (`VERSIONS`, `registry`) as one JSON attribute: a few configurations, far under the item limit. */
export class VersionRegistryItem implements Versions {
  constructor(private readonly table: TableRef) {}

  async readRegistry(): Promise<VersionRegistry | undefined> {
    const result = await this.table.client.send(
      new GetItemCommand({ TableName: this.table.tableName, Key: VERSIONS_KEY, ConsistentRead: true }),
    );
    const json = result.Item?.registry?.S;
    return json ? (JSON.parse(json) as VersionRegistry) : undefined;
  }

  async writeRegistry(registry: VersionRegistry): Promise<void> {
    await this.table.client.send(
      new PutItemCommand({
        TableName: this.table.tableName,
        Item: { ...VERSIONS_KEY, registry: s(JSON.stringify(registry)) },
      }),
    );
  }
}
