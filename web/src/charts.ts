import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Annotation, PeriodValue } from './api.js';
import { h } from './dom.js';
import { formatTime, formatValue, type MetricKind } from './format.js';

/** What a chart shades: a holiday, known event or annotation that applies to its metric and grain. */
export type ChartAnnotation = Pick<Annotation, 'id' | 'label' | 'from' | 'to' | 'source'>;

export interface TrendOptions {
  readonly points: readonly PeriodValue[];
  readonly kind: MetricKind;
  /** A key result drawn as a horizontal line. */
  readonly target?: number | null;
  /** A period to mark, e.g. the one an alert is about. */
  readonly highlight?: string | null;
  readonly height?: number;
  /** @default 600 */
  readonly width?: number;
  /** Holidays and annotations of the metric at the chart's grain, drawn as shaded spans with their labels. */
  readonly annotations?: readonly ChartAnnotation[];
}

const COLOURS = {
  value: '#1f5fbf',
  expected: '#6b7280',
  band: 'rgba(31, 95, 191, 0.12)',
  deviating: '#c0262d',
  target: '#b7791f',
  highlight: 'rgba(192, 38, 45, 0.12)',
  other: '#c05621',
  otherFill: '#fbd3b5',
};

/** Marks one period with a shaded column behind the lines. */
function highlightPlugin(index: number | undefined): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (chart: uPlot) => {
        if (index === undefined) return;
        const xs = chart.data[0];
        const x = xs[index];
        if (x === undefined) return;
        const step = xs.length > 1 ? ((xs[1] ?? 0) - (xs[0] ?? 0)) / 2 : 43_200;
        const left = chart.valToPos(x - step, 'x', true);
        const right = chart.valToPos(x + step, 'x', true);
        chart.ctx.save();
        chart.ctx.fillStyle = COLOURS.highlight;
        chart.ctx.fillRect(left, chart.bbox.top, right - left, chart.bbox.height);
        chart.ctx.restore();
      },
    },
  };
}

const SVG = 'http://www.w3.org/2000/svg';

function svgElement<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

/** Half a period in seconds: a period's point sits at its start, its column is centred on it. */
function halfPeriod(points: readonly Pick<PeriodValue, 'start' | 'end'>[]): number {
  const first = points[0];
  const length = first ? (Date.parse(first.end) - Date.parse(first.start)) / 1000 : 86_400;
  return Number.isFinite(length) && length > 0 ? length / 2 : 43_200;
}

const LABEL_TOP = 12;
const LABEL_LINE = 13;
/** A rough width of a label's character at the label's size, to stack labels that would overlap. */
const LABEL_CHAR = 6.2;

/** The span a chart annotation covers, in words: its tooltip. */
function annotationTitle(annotation: ChartAnnotation): string {
  const from = formatTime(annotation.from);
  const to = formatTime(annotation.to);
  const what = annotation.source === 'calendar' ? 'holiday or known event' : 'annotation';
  return `${annotation.label} (${what}): ${from} to ${to}`;
}

/**
 * Shades each annotation's span over the plot, in an SVG layer on uPlot's overlay, with
 * its label along the top and a tooltip; redrawn with the chart (resizes, zooms). A
 * period's column runs half a period either side of its point, as the highlight's does,
 * so a span over a period covers that period's column.
 */
function annotationsPlugin(annotations: readonly ChartAnnotation[], half: number): uPlot.Plugin {
  const layer = svgElement('svg', { class: 'chart-annotations', 'data-testid': 'chart-annotations' });
  const draw = (chart: uPlot) => {
    const width = chart.bbox.width / uPlot.pxRatio;
    const height = chart.bbox.height / uPlot.pxRatio;
    layer.setAttribute('width', width.toFixed(1));
    layer.setAttribute('height', height.toFixed(1));
    const rowEnds: number[] = [];
    const spans = annotations.flatMap((annotation) => {
      const start = chart.valToPos(Date.parse(annotation.from) / 1000 - half, 'x');
      const end = chart.valToPos(Date.parse(annotation.to) / 1000 - half, 'x');
      if (!Number.isFinite(start) || !Number.isFinite(end) || end <= 0 || start >= width) return [];
      const left = Math.max(0, start);
      const right = Math.min(width, Math.max(end, left + 2));
      const labelWidth = annotation.label.length * LABEL_CHAR + 6;
      // The first line whose labels end before this one starts; a new line under them otherwise.
      let row = rowEnds.findIndex((rowEnd) => rowEnd < left);
      if (row < 0) row = rowEnds.length;
      rowEnds[row] = left + labelWidth;
      const flip = left + labelWidth > width;
      const text = svgElement(
        'text',
        {
          class: 'chart-annotation-label',
          'data-annotation': annotation.id,
          x: (flip ? right - 3 : left + 3).toFixed(1),
          y: LABEL_TOP + row * LABEL_LINE,
          'text-anchor': flip ? 'end' : 'start',
        },
        annotation.label,
      );
      return [
        svgElement(
          'g',
          { class: `chart-annotation chart-annotation-${annotation.source}` },
          svgElement('title', {}, annotationTitle(annotation)),
          svgElement('rect', {
            'data-annotation': annotation.id,
            'data-source': annotation.source,
            x: left.toFixed(1),
            y: 0,
            width: (right - left).toFixed(1),
            height: height.toFixed(1),
          }),
          text,
        ),
      ];
    });
    layer.replaceChildren(...spans);
  };
  return {
    hooks: {
      // Under the cursor's lines and points, which uPlot keeps in the same overlay.
      ready: (chart: uPlot) => chart.over.prepend(layer),
      draw,
    },
  };
}

/** The chart's accessible name, with the marked spans (a chart is one image to a screen reader). */
function chartLabel(name: string, annotations: readonly ChartAnnotation[]): string {
  return annotations.length === 0
    ? name
    : `${name}; marked: ${annotations.map((annotation) => annotation.label).join(', ')}`;
}

/**
 * A metric's series: the value, the expected value inside its band, deviating periods
 * marked in red, and the target as a line. Resizes with its container.
 */
export function trendChart(options: TrendOptions): HTMLElement {
  const { points, kind } = options;
  const annotations = options.annotations ?? [];
  const container = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': chartLabel('Trend with expected band', annotations),
  });
  if (points.length === 0) return container;
  const half = halfPeriod(points);
  const xs = points.map((point) => Date.parse(point.start) / 1000);
  const data: uPlot.AlignedData = [
    xs,
    points.map((point) => point.upper),
    points.map((point) => point.lower),
    points.map((point) => point.expected),
    points.map((point) => point.value),
    points.map((point) => (point.status === 'deviating' ? point.value : null)),
    points.map(() => options.target ?? null),
  ];
  const value = (_: uPlot, raw: number | null) => formatValue(raw, kind);
  const highlight = points.findIndex((point) => point.period === options.highlight);
  const chartOptions: uPlot.Options = {
    width: options.width ?? 600,
    height: options.height ?? 260,
    series: [
      {
        label: 'Period start',
        value: (_, raw) => (raw === null ? '' : new Date(raw * 1000).toISOString().slice(0, 10)),
      },
      { label: 'Band upper', stroke: 'transparent', points: { show: false }, value },
      { label: 'Band lower', stroke: 'transparent', points: { show: false }, value },
      { label: 'Expected', stroke: COLOURS.expected, dash: [4, 4], width: 1, points: { show: false }, value },
      { label: 'Value', stroke: COLOURS.value, width: 2, points: { show: true, size: 5 }, value },
      {
        label: 'Deviating',
        stroke: COLOURS.deviating,
        width: 0,
        paths: () => null,
        points: { show: true, size: 10, stroke: COLOURS.deviating, fill: COLOURS.deviating },
        value,
      },
      {
        label: 'Target',
        stroke: COLOURS.target,
        dash: [8, 4],
        width: 1.5,
        points: { show: false },
        show: options.target !== null && options.target !== undefined,
        value,
      },
    ],
    bands: [{ series: [1, 2], fill: COLOURS.band }],
    axes: [{}, { values: (_, splits) => splits.map((split) => formatValue(split, kind)), size: 70 }],
    // Half a period of room either side: the first and last periods' columns show whole.
    scales: { x: { time: true, range: (_, min, max) => [min - half, max + half] } },
    legend: { show: true },
    plugins: [
      highlightPlugin(highlight >= 0 ? highlight : undefined),
      ...(annotations.length > 0 ? [annotationsPlugin(annotations, half)] : []),
    ],
  };
  return mount(chartOptions, data, container);
}

/** Draws the chart into its container, resizing with it, released with the render. */
function mount(chartOptions: uPlot.Options, data: uPlot.AlignedData, container: HTMLElement): HTMLElement {
  const chart = new uPlot(chartOptions, data, container);
  const resize = new ResizeObserver(([entry]) => {
    const width = Math.floor(entry?.contentRect.width ?? 0);
    if (width > 0 && width !== chart.width) chart.setSize({ width, height: chartOptions.height });
  });
  resize.observe(container);
  drawn.add({ chart, resize });
  return container;
}

/** One version's line in a comparison. */
export interface VersionLine {
  readonly label: string;
  readonly points: readonly PeriodValue[];
}

/** The periods of two versions' series, by start, with each one's value (null where it has none). */
export function alignedPeriods(
  shown: readonly PeriodValue[],
  other: readonly PeriodValue[],
): { period: string; start: string; shown: PeriodValue | undefined; other: PeriodValue | undefined }[] {
  const byPeriod = new Map<
    string,
    { period: string; start: string; shown?: PeriodValue; other?: PeriodValue }
  >();
  for (const point of shown)
    byPeriod.set(point.period, { period: point.period, start: point.start, shown: point });
  for (const point of other) {
    const row = byPeriod.get(point.period);
    if (row) row.other = point;
    else byPeriod.set(point.period, { period: point.period, start: point.start, other: point });
  }
  return [...byPeriod.values()]
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
    .map((row) => ({ period: row.period, start: row.start, shown: row.shown, other: row.other }));
}

/**
 * Two versions of a metric over the same periods: the shown one solid, the other dashed
 * in another colour with larger points, so they differ without colour too.
 */
export function versionChart(options: {
  readonly shown: VersionLine;
  readonly other: VersionLine;
  readonly kind: MetricKind;
  readonly height?: number;
  readonly annotations?: readonly ChartAnnotation[];
}): HTMLElement {
  const { shown, other, kind } = options;
  const annotations = options.annotations ?? [];
  const container = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': chartLabel(
      `${shown.label} against ${other.label}; the table below has the same numbers`,
      annotations,
    ),
  });
  const rows = alignedPeriods(shown.points, other.points);
  if (rows.length === 0) return container;
  const data: uPlot.AlignedData = [
    rows.map((row) => Date.parse(row.start) / 1000),
    rows.map((row) => row.shown?.value ?? null),
    rows.map((row) => row.other?.value ?? null),
  ];
  const value = (_: uPlot, raw: number | null) => formatValue(raw, kind);
  const chartOptions: uPlot.Options = {
    width: 600,
    height: options.height ?? 240,
    series: [
      {
        label: 'Period start',
        value: (_, raw) => (raw === null ? '' : new Date(raw * 1000).toISOString().slice(0, 10)),
      },
      { label: shown.label, stroke: COLOURS.value, width: 2, points: { show: true, size: 6 }, value },
      {
        label: other.label,
        stroke: COLOURS.other,
        width: 2,
        dash: [6, 4],
        points: { show: true, size: 8, stroke: COLOURS.other, fill: COLOURS.otherFill },
        value,
      },
    ],
    axes: [{}, { values: (_, splits) => splits.map((split) => formatValue(split, kind)), size: 70 }],
    scales: { x: { time: true } },
    legend: { show: true },
    plugins:
      annotations.length > 0
        ? [annotationsPlugin(annotations, halfPeriod([...shown.points, ...other.points]))]
        : [],
  };
  return mount(chartOptions, data, container);
}

interface DrawnChart {
  readonly chart: uPlot;
  readonly resize: ResizeObserver;
}

let drawn = new Set<DrawnChart>();

/**
 * Starts a new render: the charts drawn so far are returned, to be released once the new
 * content has replaced them (so a refresh never shows an empty page in between).
 */
export function beginRender(): () => void {
  const previous = drawn;
  drawn = new Set();
  return () => {
    for (const { chart, resize } of previous) {
      resize.disconnect();
      chart.destroy();
    }
  };
}

/** A small line of a metric's recent values; a gap where a period has no value. */
export function sparkline(values: readonly (number | null)[], label: string): SVGSVGElement {
  const width = 120;
  const height = 28;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('class', 'sparkline');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const present = values.filter((value): value is number => value !== null);
  if (present.length === 0) return svg;
  const min = Math.min(...present);
  const max = Math.max(...present);
  const x = (index: number) =>
    values.length === 1 ? width / 2 : (index / (values.length - 1)) * (width - 4) + 2;
  const y = (value: number) =>
    max === min ? height / 2 : height - 3 - ((value - min) / (max - min)) * (height - 6);
  let path = '';
  let drawing = false;
  values.forEach((value, index) => {
    if (value === null) {
      drawing = false;
      return;
    }
    path += `${drawing ? 'L' : 'M'}${x(index).toFixed(1)},${y(value).toFixed(1)}`;
    drawing = true;
  });
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  line.setAttribute('d', path);
  svg.append(line);
  const lastIndex = values.length - 1;
  const last = values[lastIndex];
  if (last !== null && last !== undefined) {
    const dot = document.createElementNS('http://www.w3.org/2000/svg', 'circle');
    dot.setAttribute('cx', x(lastIndex).toFixed(1));
    dot.setAttribute('cy', y(last).toFixed(1));
    dot.setAttribute('r', '2.5');
    svg.append(dot);
  }
  return svg;
}
