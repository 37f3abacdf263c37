import { appliesToMetric, instantOfInput } from '../annotations.js';
import { type Annotation, type AnnotationList, failureMessage, type MetricNode, readApi } from '../api.js';
import { formError, h, notice } from '../dom.js';
import { formatTime } from '../format.js';

function scopeOf(annotation: Annotation): string {
  if (annotation.metrics === null) return 'every metric';
  return annotation.metrics.length === 1 ? 'this metric' : `${annotation.metrics.length} metrics`;
}

/** One holiday or annotation of the metric: its span, what it marks, and a remove button for an owner's. */
function annotationItem(annotation: Annotation, grain: string, onChange: () => void): HTMLElement {
  const message = formError();
  const remove =
    annotation.source === 'annotation'
      ? h(
          'button',
          {
            type: 'button',
            class: 'annotation-remove',
            'data-testid': 'annotation-remove',
            'aria-label': `Remove the annotation ${annotation.label}`,
            onclick: async (event: Event) => {
              const button = event.currentTarget as HTMLButtonElement;
              button.disabled = true;
              message.textContent = '';
              try {
                await readApi.removeAnnotation(annotation.id);
                onChange();
              } catch (error) {
                message.textContent = failureMessage(error, 'remove the annotation');
                button.disabled = false;
              }
            },
          },
          'Remove',
        )
      : null;
  return h(
    'li',
    {
      class: `annotation annotation-${annotation.source}`,
      'data-annotation-id': annotation.id,
      'data-source': annotation.source,
    },
    h('span', { class: `badge badge-mark-${annotation.source}` }, annotation.source),
    h('strong', { 'data-testid': 'annotation-label' }, annotation.label),
    h(
      'span',
      { class: 'muted', 'data-testid': 'annotation-span' },
      `${formatTime(annotation.from)} to ${formatTime(annotation.to)}`,
    ),
    h(
      'span',
      { class: 'muted' },
      `${scopeOf(annotation)}, by ${annotation.grains.join(', ')}`,
      annotation.grains.includes(grain) ? '' : ` (not shaded at the ${grain} grain)`,
      annotation.by ? ` · added by ${annotation.by}` : '',
    ),
    remove,
    message,
  );
}

/** The owner's form: a label over a span (UTC), for this metric only or every metric. */
function annotateForm(metric: MetricNode, grain: string, onChange: () => void): HTMLElement {
  const label = h('input', {
    id: 'annotate-label',
    name: 'label',
    required: true,
    maxlength: 80,
    placeholder: 'campaign launch',
  });
  const from = h('input', { id: 'annotate-from', name: 'from', type: 'datetime-local', required: true });
  const to = h('input', { id: 'annotate-to', name: 'to', type: 'datetime-local', required: true });
  const only = h('input', { id: 'annotate-only', name: 'only', type: 'checkbox' });
  const message = formError();
  const submit = h('button', { type: 'submit' }, 'Annotate');
  return h(
    'form',
    {
      class: 'annotate-form',
      'data-testid': 'annotate-form',
      'aria-describedby': 'annotate-hint',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        message.textContent = '';
        const start = instantOfInput(from.value);
        const end = instantOfInput(to.value);
        if (!start || !end) {
          message.textContent = 'Give the start and the end as a date and a time (UTC).';
          return;
        }
        submit.disabled = true;
        try {
          await readApi.annotate({
            label: label.value,
            from: start,
            to: end,
            ...(only.checked ? { metrics: [metric.id] } : {}),
          });
          onChange();
        } catch (error) {
          message.textContent = failureMessage(error, 'annotate');
          submit.disabled = false;
        }
      },
    },
    h('label', { for: 'annotate-label' }, 'Label'),
    label,
    h('label', { for: 'annotate-from' }, 'From (UTC)'),
    from,
    h('label', { for: 'annotate-to' }, 'To (UTC)'),
    to,
    h('label', { for: 'annotate-only', class: 'check' }, only, ` only ${metric.title}`),
    submit,
    h(
      'p',
      { class: 'hint', id: 'annotate-hint' },
      'An annotation marks the hour and day periods it covers (those kept): they are shaded on the charts at those grains, left out of later periods’ history from the next recompute on, and their deviations are shown with the label.',
      grain === 'hour' || grain === 'day' ? '' : ` It is not shaded on this ${grain} chart.`,
    ),
    message,
  );
}

/**
 * The metric's holidays and annotations in the chart's range, with an owner's form to add one
 * and a button to remove each added one; both redraw the view once the API has taken them.
 */
export function annotationSection(options: {
  readonly metric: MetricNode;
  readonly grain: string;
  readonly annotations: AnnotationList | Error;
  readonly onChange: () => void;
}): HTMLElement {
  const { metric, grain, annotations, onChange } = options;
  const own =
    annotations instanceof Error ? [] : annotations.annotations.filter((a) => appliesToMetric(a, metric.id));
  return h(
    'section',
    { class: 'annotations', 'aria-labelledby': 'annotations-title', 'data-testid': 'annotations' },
    h('h2', { id: 'annotations-title' }, 'Holidays and annotations'),
    annotations instanceof Error
      ? notice('error', `Could not read the holidays and annotations: ${annotations.message}`)
      : own.length === 0
        ? notice('empty', 'No holidays or annotations of this metric in this range.')
        : h(
            'ul',
            { class: 'annotation-list', 'data-testid': 'annotation-list' },
            own.map((annotation) => annotationItem(annotation, grain, onChange)),
          ),
    annotateForm(metric, grain, onChange),
  );
}
