import { describe, expect, test } from 'vitest';
import { collectSegmentCalls, type IdentityLink } from '../../../shared/domain/collector/segment-calls.js';
import type { IdentityLinks } from '../../../shared/ports/identity-links.js';
import { standingLinks } from '../../../shared/use-cases/collector/link-forward.js';
import { memoryIdentityLinks } from '../../support/memory-identity-links.js';

const RECEIVED = Date.parse('2026-12-02T10:00:00.000Z');
const identify = (anonymousId: string, userId: string, minute: number) => ({
  type: 'identify',
  messageId: `i-${anonymousId}-${userId}`,
  anonymousId,
  userId,
  timestamp: new Date(RECEIVED - (60 - minute) * 60_000).toISOString(),
});
const link = (anonymousId: string, userId: string, minute: number): IdentityLink => ({
  anonymousId,
  userId,
  linkedAt: RECEIVED - (60 - minute) * 60_000,
});

/** The links, and every link each call asked to record. */
function recording(links = memoryIdentityLinks()): IdentityLinks & { readonly asked: IdentityLink[] } {
  const asked: IdentityLink[] = [];
  return {
    asked,
    linksFor: (source, ids) => links.linksFor(source, ids),
    linkAnonymous(source, one) {
      asked.push(one);
      return links.linkAnonymous(source, one);
    },
  };
}

describe('standing links of a request', () => {
  test('It should record the first identify of each anonymous id that has no link, and nothing for those that have one', async () => {
    // Prepare
    const links = recording();
    await links.linkAnonymous('app.web', link('anon-1', 'ann', 5));
    links.asked.length = 0;
    const collected = collectSegmentCalls(
      [identify('anon-1', 'ann', 6), identify('anon-2', 'bob', 10), identify('anon-2', 'cat', 20)],
      { receivedAt: RECEIVED },
    );

    // Act
    const standing = await standingLinks(links, 'app.web', collected);

    // Assess
    expect(links.asked).toEqual([link('anon-2', 'bob', 10)]);
    expect(standing).toEqual(
      new Map([
        ['anon-1', link('anon-1', 'ann', 5)],
        ['anon-2', link('anon-2', 'bob', 10)],
      ]),
    );
  });

  test('It should take the link a concurrent request recorded first over its own', async () => {
    // Prepare: another request links anon-1 between this one's read and its write.
    const memory = memoryIdentityLinks();
    const racing: IdentityLinks = {
      linksFor: (source, ids) => memory.linksFor(source, ids),
      async linkAnonymous(source, one) {
        await memory.linkAnonymous(source, link('anon-1', 'dan', 1));
        return memory.linkAnonymous(source, one);
      },
    };
    const collected = collectSegmentCalls([identify('anon-1', 'ann', 10)], { receivedAt: RECEIVED });

    // Act
    const standing = await standingLinks(racing, 'app.web', collected);

    // Assess
    expect(standing.get('anon-1')).toEqual(link('anon-1', 'dan', 1));
  });

  test('It should keep the links of each source apart', async () => {
    // Prepare
    const links = memoryIdentityLinks();
    await links.linkAnonymous('app.ios', link('anon-1', 'ann', 5));
    const collected = collectSegmentCalls(
      [{ type: 'track', event: 'visited', messageId: 'm-1', anonymousId: 'anon-1' }],
      { receivedAt: RECEIVED },
    );

    // Act
    const web = await standingLinks(links, 'app.web', collected);
    const ios = await standingLinks(links, 'app.ios', collected);

    // Assess
    expect(web.size).toBe(0);
    expect(ios.get('anon-1')?.userId).toBe('ann');
  });
});
