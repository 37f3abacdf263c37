import { ConditionalCheckFailedException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { IdentityLink } from '../../domain/collector/segment-calls.js';
import type { IdentityLinks } from '../../ports/identity-links.js';
import { type Item, n, s } from './attributes.js';
import { batchGetAll, type TableRef } from './batch.js';

/**
 * Identity links, one item per source and anonymous id, written by the collector alone:
 * `IDLINK#<source>#<anonymousId>`, sort key the source (a source may hold `#`, so the pair
 * of keys names the item without doubt). One partition per anonymous id: identify calls of
 * many visitors never share a hot key. The collector's grant is limited to this prefix.
 */
export const IDENTITY_LINK_PREFIX = 'IDLINK#';

export const identityLinkKey = (source: string, anonymousId: string): Item => ({
  pk: s(`${IDENTITY_LINK_PREFIX}${source}#${anonymousId}`),
  sk: s(source),
});

function linkOf(anonymousId: string, item: Item | undefined): IdentityLink | undefined {
  const userId = item?.userId?.S;
  const linkedAt = Number(item?.linkedAt?.N);
  return userId && Number.isFinite(linkedAt) ? { anonymousId, userId, linkedAt } : undefined;
}

export class IdentityLinkItems implements IdentityLinks {
  constructor(private readonly table: TableRef) {}

  async linkAnonymous(source: string, link: IdentityLink): Promise<IdentityLink> {
    try {
      await this.table.client.send(
        new PutItemCommand({
          TableName: this.table.tableName,
          Item: {
            ...identityLinkKey(source, link.anonymousId),
            userId: s(link.userId),
            linkedAt: n(link.linkedAt),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return link;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Linked first by another call: that link stands.
      const standing = linkOf(link.anonymousId, error.Item) ?? (await this.read(source, link.anonymousId));
      if (!standing)
        throw new Error(`the link of ${link.anonymousId} exists but cannot be read`, { cause: error });
      return standing;
    }
  }

  async linksFor(source: string, anonymousIds: readonly string[]): Promise<Map<string, IdentityLink>> {
    const wanted = [...new Set(anonymousIds)];
    const items = await batchGetAll(
      this.table,
      wanted.map((anonymousId) => identityLinkKey(source, anonymousId)),
    );
    const prefix = `${IDENTITY_LINK_PREFIX}${source}#`;
    const links = new Map<string, IdentityLink>();
    for (const item of items) {
      const anonymousId = item.pk?.S?.slice(prefix.length) ?? '';
      const link = linkOf(anonymousId, item);
      if (link) links.set(anonymousId, link);
    }
    return links;
  }

  private async read(source: string, anonymousId: string): Promise<IdentityLink | undefined> {
    return (await this.linksFor(source, [anonymousId])).get(anonymousId);
  }
}
