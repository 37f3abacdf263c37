import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { PeriodValue } from './api.js';
import { h } from './dom.js';
import { formatValue, type MetricKind } from './format.js';

export interface TrendOptions {
  readonly points: readonly PeriodValue[];
  readonly kind: MetricKind;
  /** A key result drawn as a horizontal line. */
  readonly target?: number | null;
  /** A period to mark, e.g. the one an alert is about. */
  readonly highlight?: string | null;
  readonly height?: number;
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

/**
 * A metric's series: the value, the expected value inside its band, deviating periods
 * marked in red, and the target as a line. Resizes with its container.
 */
export function trendChart(options: TrendOptions): HTMLElement {
  const { points, kind } = options;
  const container = h('div', { class: 'chart', role: 'img', 'aria-label': 'Trend with expected band' });
  if (points.length === 0) return container;
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
    width: 600,
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
    scales: { x: { time: true } },
    legend: { show: true },
    plugins: [highlightPlugin(highlight >= 0 ? highlight : undefined)],
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
}): HTMLElement {
  const { shown, other, kind } = options;
  const container = h('div', {
    class: 'chart',
    role: 'img',
    'aria-label': `${shown.label} against ${other.label}; the table below has the same numbers`,
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
