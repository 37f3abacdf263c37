import type { IdentityLink } from '../../shared/domain/collector/segment-calls.js';
import type { IdentityLinks } from '../../shared/ports/identity-links.js';

/** Identify links in memory, with the DynamoDB adapter's contract: the first link of an anonymous id stands. */
export function memoryIdentityLinks(): IdentityLinks & { readonly size: () => number } {
  const links = new Map<string, IdentityLink>();
  const keyOf = (source: string, anonymousId: string) => JSON.stringify([source, anonymousId]);
  return {
    async linkAnonymous(source, link) {
      const key = keyOf(source, link.anonymousId);
      const standing = links.get(key);
      if (standing) return { ...standing };
      links.set(key, { ...link });
      return { ...link };
    },
    async linksFor(source, anonymousIds) {
      const found = new Map<string, IdentityLink>();
      for (const anonymousId of anonymousIds) {
        const link = links.get(keyOf(source, anonymousId));
        if (link) found.set(anonymousId, { ...link });
      }
      return found;
    },
    size: () => links.size,
  };
}
