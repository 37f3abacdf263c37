import type { IdentityLink } from '../domain/collector/segment-calls.js';

/**
 * Links from anonymous ids to user ids, recorded by the collector's `identify` calls, per
 * source (a source's users and de-duplication are its own). A link is written once and never
 * moved: the first one recorded for an anonymous id stands.
 */
export interface IdentityLinks {
  /**
   * Records the link unless the anonymous id has one already; answers the link that stands
   * (this one, or the one recorded first).
   */
  linkAnonymous(source: string, link: IdentityLink): Promise<IdentityLink>;
  /** The recorded links of these anonymous ids, by anonymous id; ids without one are absent. */
  linksFor(source: string, anonymousIds: readonly string[]): Promise<Map<string, IdentityLink>>;
}
