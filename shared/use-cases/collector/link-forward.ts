import type { CollectedCalls, IdentityLink } from '../../domain/collector/segment-calls.js';
import type { IdentityLinks } from '../../ports/identity-links.js';

/** Identify calls are few: a request's new links are written this many at a time. */
const PARALLEL_LINKS = 16;

/**
 * The links that stand for a request's anonymous ids, by anonymous id: those recorded before,
 * then the request's own identify calls, each recorded where its anonymous id has none (the
 * first in the request, or a concurrent request's, wins). Recorded before the request's
 * events go anywhere, so a retry of the request finds the same links and maps every call as
 * the first attempt did.
 */
export async function standingLinks(
  links: IdentityLinks,
  source: string,
  collected: CollectedCalls,
): Promise<Map<string, IdentityLink>> {
  const standing = await links.linksFor(source, collected.anonymousIds);
  const fresh = new Map<string, IdentityLink>();
  for (const identity of collected.identities)
    if (!standing.has(identity.anonymousId) && !fresh.has(identity.anonymousId))
      fresh.set(identity.anonymousId, identity);
  const pending = [...fresh.values()];
  for (let start = 0; start < pending.length; start += PARALLEL_LINKS) {
    const recorded = await Promise.all(
      pending.slice(start, start + PARALLEL_LINKS).map((link) => links.linkAnonymous(source, link)),
    );
    for (const link of recorded) standing.set(link.anonymousId, link);
  }
  return standing;
}
