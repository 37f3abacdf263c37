import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  alertTextLines,
  chatWebhookBody,
  renderAlertText,
  unquoteTemplateLines,
} from '../../../../shared/domain/alerts/alert-message.js';

const detected = JSON.parse(
  readFileSync(new URL('../../../events/deviation-detected.json', import.meta.url), 'utf8'),
) as Record<string, unknown> & { detail: Record<string, unknown> };

/** What EventBridge sends to the topic: each line a JSON string with the values substituted. */
function asDelivered(event: unknown): string {
  return renderAlertText(event)
    .split('\n')
    .map((line) => `"${line}"`)
    .join('\n');
}

describe('alertTextLines', () => {
  it('It should reference only dot-notation paths an input transformer can resolve', () => {
    const paths: string[] = [];
    alertTextLines((path) => {
      paths.push(path);
      return `<${path}>`;
    });
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) expect(path).toMatch(/^\$\.[A-Za-z-]+(\.[A-Za-z]+)*$/);
  });
});

describe('renderAlertText', () => {
  it('It should say what happened, to which metric and period, by how much, whose it is and where to look', () => {
    expect(renderAlertText(detected)).toBe(
      [
        'Metric Deviation Detected: Weekly sign-ups',
        'Period: week 2026-W47 (2026-11-16T00:00:00.000Z to 2026-11-23T00:00:00.000Z)',
        'Observed: 412, expected: 640, band: 560 to 720',
        'Relative deviation: -0.356, severity: critical',
        'Owner: Growth (team growth)',
        'Likely cause: 92% of the drop: method = apple',
        'Chart: https://northstar.example.com/metrics/weekly_signups?grain=week&period=2026-W47',
        'Alert id: 2026-11-16T00:00:00.000Z#a1b2c3d4#week',
      ].join('\n'),
    );
  });

  it('It should write null values as null, as an input transformer does', () => {
    const resolved = {
      ...detected,
      'detail-type': 'Metric Deviation Resolved',
      detail: { ...detected.detail, severity: null, relativeDeviation: null },
    };
    const text = renderAlertText(resolved);
    expect(text.split('\n')[0]).toBe('Metric Deviation Resolved: Weekly sign-ups');
    expect(text).toContain('Relative deviation: null, severity: null');
  });
});

describe('chatWebhookBody', () => {
  it('It should turn the delivered JSON-string lines back into plain text', () => {
    expect(chatWebhookBody(asDelivered(detected))).toEqual({ text: renderAlertText(detected) });
  });

  it('It should keep a line whose substituted title broke its JSON quoting, without the outer quotes', () => {
    expect(unquoteTemplateLines('"Metric Deviation Detected: The "best" metric"\n"Alert id: x"')).toBe(
      'Metric Deviation Detected: The "best" metric\nAlert id: x',
    );
  });

  it('It should leave text that is not JSON-string lines as it is', () => {
    expect(chatWebhookBody('plain text\nsecond line')).toEqual({ text: 'plain text\nsecond line' });
  });
});
