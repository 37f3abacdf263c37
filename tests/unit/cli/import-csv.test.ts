import { describe, expect, test } from 'vitest';
import { csvToEvents, parseCsv, parseMapping } from '../../../cli/import/csv.js';

describe('CSV exports for history import', () => {
  test('It should read quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi""\nthere"\n\n1,2')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"\nthere'],
      ['1', '2'],
    ]);
  });

  test('It should map columns to event fields, typing values and leaving empty cells out', () => {
    const mapping = parseMapping(
      'name=@payment_succeeded,eventId=id,userId=user,occurredAt=at,properties.amount:number=amount,properties.plan=plan',
    );
    const { lines, problems } = csvToEvents(
      'id,user,at,amount,plan\np1,u1,2026-10-01 09:30:00,19.99,annual\np2,u2,2026-10-02T10:00:00+02:00,5,\np3,u3,yesterday,1,x\n',
      mapping,
    );
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      {
        name: 'payment_succeeded',
        eventId: 'p1',
        userId: 'u1',
        occurredAt: '2026-10-01T09:30:00.000Z',
        properties: { amount: 19.99, plan: 'annual' },
      },
      {
        name: 'payment_succeeded',
        eventId: 'p2',
        userId: 'u2',
        occurredAt: '2026-10-02T08:00:00.000Z',
        properties: { amount: 5 },
      },
    ]);
    expect(problems).toEqual(['row 4: "yesterday" is not a timestamp']);
  });

  test('It should name what is wrong with a mapping', () => {
    expect(() => parseMapping('name=event,userId=user,occurredAt=at')).toThrow(/--map must give eventId/);
    expect(() => parseMapping('name=e,eventId=i,userId=u,occurredAt=t,price=p')).toThrow(
      /"price" is not an event field/,
    );
    expect(() => parseMapping('name=e,eventId=i,userId=u,occurredAt=t,properties.n:int=p')).toThrow(
      /string, number or boolean/,
    );
    expect(() => csvToEvents('a,b\n1,2', parseMapping('name=e,eventId=a,userId=b,occurredAt=t'))).toThrow(
      /no column "e"/,
    );
  });
});
