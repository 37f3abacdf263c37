import { describe, expect, test } from 'vitest';
import { IdentityLinkItems } from '../../shared/adapters/dynamodb/identity-links.js';
import type { IdentityLink } from '../../shared/domain/collector/segment-calls.js';
import type { IdentityLinks } from '../../shared/ports/identity-links.js';
import { freshTable, localClient } from '../support/dynamo.js';
import { memoryIdentityLinks } from '../support/memory-identity-links.js';

/** The collector's unit tests run on the in-memory links: they must answer as the table does. */
const implementations: [string, () => Promise<IdentityLinks>][] = [
  [
    'DynamoDB',
    async () => new IdentityLinkItems({ client: localClient(), tableName: await freshTable(localClient()) }),
  ],
  ['in-memory', async () => memoryIdentityLinks()],
];

const AT = Date.parse('2026-12-02T09:10:00Z');
const link = (anonymousId: string, userId: string, linkedAt = AT): IdentityLink => ({
  anonymousId,
  userId,
  linkedAt,
});

describe.each(implementations)('identity links contract: %s', (_name, create) => {
  test('It should keep the first link of an anonymous id and answer it to every later one', async () => {
    const links = await create();
    expect(await links.linkAnonymous('app.web', link('anon-1', 'ann'))).toEqual(link('anon-1', 'ann'));
    expect(await links.linkAnonymous('app.web', link('anon-1', 'bob', AT - 60_000))).toEqual(
      link('anon-1', 'ann'),
    );
    expect(await links.linksFor('app.web', ['anon-1'])).toEqual(new Map([['anon-1', link('anon-1', 'ann')]]));
  });

  test('It should let one of many concurrent links of an anonymous id win, and answer that one to all', async () => {
    const links = await create();
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => links.linkAnonymous('app.web', link('anon-1', `user-${i}`))),
    );
    expect(new Set(answers.map((answer) => answer.userId)).size).toBe(1);
    const [stored] = (await links.linksFor('app.web', ['anon-1'])).values();
    expect(stored).toEqual(answers[0]);
  });

  test('It should look up many anonymous ids at once, leaving out those without a link', async () => {
    const links = await create();
    const linked = Array.from({ length: 130 }, (_, i) => `anon-${i}`).filter((_, i) => i % 3 === 0);
    await Promise.all(linked.map((id) => links.linkAnonymous('app.web', link(id, `user-of-${id}`))));
    const asked = [...Array.from({ length: 130 }, (_, i) => `anon-${i}`), 'anon-0'];
    const found = await links.linksFor('app.web', asked);
    expect([...found.keys()].sort()).toEqual([...linked].sort());
    expect(found.get('anon-3')).toEqual(link('anon-3', 'user-of-anon-3'));
    expect(await links.linksFor('app.web', [])).toEqual(new Map());
  });

  test("It should keep each source's links apart, even where a source holds the key's separator", async () => {
    const links = await create();
    await links.linkAnonymous('app#web', link('anon-1', 'ann'));
    await links.linkAnonymous('app', link('web#anon-1', 'bob'));
    expect((await links.linksFor('app#web', ['anon-1'])).get('anon-1')?.userId).toBe('ann');
    expect((await links.linksFor('app', ['web#anon-1'])).get('web#anon-1')?.userId).toBe('bob');
    expect(await links.linksFor('app.ios', ['anon-1'])).toEqual(new Map());
  });
});
