import { readApi } from '../api.js';
import { h, notice } from '../dom.js';
import { formatCount, formatRate } from '../format.js';

/** The journey: new users per stage over the last 28 days, and where everyone stands now. */
export async function journeyView(): Promise<HTMLElement> {
  let report: Awaited<ReturnType<typeof readApi.journey>>;
  try {
    report = await readApi.journey();
  } catch (error) {
    if ((error as { status?: number }).status === 404) return notice('empty', 'No journey is configured.');
    throw error;
  }
  const widest = Math.max(1, ...report.stages.map((stage) => stage.atOrBeyond));
  return h(
    'div',
    { class: 'view view-journey', 'data-view': 'journey' },
    h('h1', {}, 'Journey'),
    h(
      'p',
      { class: 'muted' },
      `New users from ${report.from.slice(0, 10)} to ${report.to.slice(0, 10)}; the distribution is over all time.`,
    ),
    report.stages.every((stage) => stage.atOrBeyond === 0)
      ? notice('empty', 'No user has reached any stage yet.')
      : null,
    h(
      'ol',
      { class: 'journey', 'data-testid': 'journey-stages' },
      report.stages.map((stage, index) =>
        h(
          'li',
          { class: 'stage', 'data-stage': stage.id },
          h('div', { class: 'stage-title' }, h('strong', {}, `${index + 1}. ${stage.title}`)),
          h(
            'div',
            { class: 'bar-track' },
            h('div', { class: 'bar', style: `width: ${(stage.atOrBeyond / widest) * 100}%` }),
          ),
          h(
            'dl',
            { class: 'stage-numbers' },
            h('dt', {}, 'New in range'),
            h('dd', { 'data-testid': 'stage-new' }, formatCount(stage.newUsers)),
            h('dt', {}, 'Here now'),
            h('dd', { 'data-testid': 'stage-current' }, formatCount(stage.currentUsers)),
            h('dt', {}, 'Here or beyond'),
            h('dd', { 'data-testid': 'stage-beyond' }, formatCount(stage.atOrBeyond)),
            h('dt', {}, 'From previous'),
            h('dd', { 'data-testid': 'stage-conversion' }, formatRate(stage.conversionFromPrevious)),
          ),
        ),
      ),
    ),
  );
}
