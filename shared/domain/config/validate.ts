import { Duration } from 'luxon';
import {
  breakdownLabels,
  MAX_SERIES,
  MAX_SERIES_PER_METRIC,
  metricBreakdowns,
} from '../engine/breakdowns.js';
import { NorthstarError } from '../errors.js';
import { LINT_RULE_IDS } from '../lint/rule-ids.js';
import { type NorthstarConfig, NorthstarConfigInput, type PropertyFilters } from './schema.js';

export class ConfigError extends NorthstarError {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super('invalid_config', message, options);
  }
}

type Issue = { path: (string | number)[]; message: string };

function checkDuration(value: string, path: (string | number)[], issues: Issue[]): void {
  const duration = Duration.fromISO(value);
  if (!duration.isValid || duration.toMillis() <= 0)
    issues.push({ path, message: `must be a positive duration, got ${value}` });
}

function checkTimeZone(zone: string, issues: Issue[]): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    issues.push({ path: ['timeZone'], message: `unknown IANA time zone "${zone}"` });
  }
}

function checkFilters(
  config: NorthstarConfig,
  events: readonly string[],
  where: PropertyFilters,
  path: (string | number)[],
  issues: Issue[],
): void {
  for (const [property, expected] of Object.entries(where)) {
    for (const event of events) {
      const definition = config.trackingPlan.events[event]?.properties[property];
      if (!definition) {
        issues.push({
          path: [...path, property],
          message: `event "${event}" has no property "${property}" in the tracking plan`,
        });
        continue;
      }
      const wanted = definition.type === 'enum' ? 'string' : definition.type;
      for (const value of Array.isArray(expected) ? expected : [expected]) {
        if (typeof value !== wanted) {
          issues.push({
            path: [...path, property],
            message: `${JSON.stringify(value)} is not a ${definition.type} (event "${event}")`,
          });
        } else if (definition.type === 'enum' && !definition.values.includes(value as string)) {
          issues.push({
            path: [...path, property],
            message: `${JSON.stringify(value)} is not one of ${definition.values.join(', ')} (event "${event}")`,
          });
        }
      }
    }
  }
}

function checkEvents(
  config: NorthstarConfig,
  events: readonly string[],
  path: (string | number)[],
  issues: Issue[],
): void {
  events.forEach((event, index) => {
    if (!config.trackingPlan.events[event])
      issues.push({ path: [...path, index], message: `unknown event "${event}": not in the tracking plan` });
  });
}

function checkCalendar(config: NorthstarConfig, issues: Issue[]): void {
  for (const [index, entry] of config.calendar.entries()) {
    for (const [at, metric] of (entry.metrics ?? []).entries())
      if (!Object.hasOwn(config.metrics, metric))
        issues.push({ path: ['calendar', index, 'metrics', at], message: `unknown metric "${metric}"` });
    for (const [at, grain] of (entry.grains ?? []).entries())
      if (!config.grains.includes(grain))
        issues.push({
          path: ['calendar', index, 'grains', at],
          message: `"${grain}" is not a kept grain (grains: ${config.grains.join(', ')})`,
        });
  }
}

function checkCollector(config: NorthstarConfig, issues: Issue[]): void {
  const collector = config.collector;
  if (!collector) return;
  if (!collector.writeKeys && !collector.writeKeysFile && !collector.writeKeysEnv)
    issues.push({
      path: ['collector'],
      message: 'the collector needs write keys: writeKeys, writeKeysFile or writeKeysEnv',
    });
  for (const [segmentName, name] of Object.entries(collector.names)) {
    if (!config.trackingPlan.events[name])
      issues.push({
        path: ['collector', 'names', segmentName],
        message: `unknown event "${name}": not in the tracking plan`,
      });
  }
  if (collector.maxBatchBytes < collector.maxCallBytes)
    issues.push({
      path: ['collector', 'maxBatchBytes'],
      message: `must be at least maxCallBytes (${collector.maxCallBytes}): a batch holds at least one call`,
    });
}

/** Cross-checks that a schema alone cannot express; every issue names its path. */
function checkLintAcknowledgements(config: NorthstarConfig, issues: Issue[]): void {
  config.lint.acknowledge.forEach((ack, index) => {
    const path = ['lint', 'acknowledge', index];
    if (!(LINT_RULE_IDS as readonly string[]).includes(ack.rule))
      issues.push({
        path: [...path, 'rule'],
        message: `unknown lint rule "${ack.rule}": one of ${LINT_RULE_IDS.join(', ')}`,
      });
    ack.metrics?.forEach((metric, at) => {
      if (!config.metrics[metric])
        issues.push({ path: [...path, 'metrics', at], message: `unknown metric "${metric}"` });
    });
  });
}

function checkBreakdowns(config: NorthstarConfig, issues: Issue[]): void {
  for (const [by, breakdown] of Object.entries(config.breakdowns)) {
    const path = ['breakdowns', by];
    if ((breakdown.property === undefined) === (breakdown.context === undefined))
      issues.push({
        path,
        message: 'names exactly one of property (an event property) or context (a context field)',
      });
    else if (breakdown.context !== undefined && breakdown.values === undefined)
      issues.push({
        path: [...path, 'values'],
        message: `a context field has no values in the tracking plan: list the values of "${breakdown.context}" to keep`,
      });
    else if (breakdown.values === undefined && breakdownLabels(config, breakdown).length === 2)
      issues.push({
        path: [...path, 'values'],
        message: `property "${breakdown.property}" is an enum of no event in the tracking plan: list its values to keep`,
      });
    if (breakdown.values && new Set(breakdown.values).size !== breakdown.values.length)
      issues.push({ path: [...path, 'values'], message: 'lists a value twice' });
  }
  let total = 0;
  for (const [metricId, metric] of Object.entries(config.metrics)) {
    const names = metricBreakdowns(metric);
    let series = 0;
    names.forEach((by, index) => {
      const path = ['metrics', metricId, 'breakdowns', index];
      const breakdown = config.breakdowns[by];
      if (!breakdown) {
        issues.push({ path, message: `unknown breakdown "${by}": not in breakdowns` });
        return;
      }
      if (names.indexOf(by) !== index) issues.push({ path, message: `breakdown "${by}" is named twice` });
      series += breakdownLabels(config, breakdown).length * config.grains.length;
      if (metric.kind === 'ratio') {
        for (const side of [metric.numerator, metric.denominator]) {
          const other = config.metrics[side];
          if (other && !metricBreakdowns(other).includes(by))
            issues.push({
              path,
              message: `a ratio split by "${by}" needs both sides split by it: "${side}" is not`,
            });
        }
      } else if (breakdown.property !== undefined && metric.kind === 'funnel_conversion') {
        const entry = config.funnels[metric.funnel]?.steps[0]?.event;
        if (
          entry &&
          config.trackingPlan.events[entry] &&
          !config.trackingPlan.events[entry]?.properties[breakdown.property]
        )
          issues.push({
            path,
            message: `a funnel conversion is split by the value on the entry step: event "${entry}" has no property "${breakdown.property}" in the tracking plan`,
          });
      } else if (breakdown.property !== undefined && 'events' in metric) {
        // Events without the property count under (none); a split none of them can fill is a mistake.
        const property = breakdown.property;
        const known = metric.events.filter((event) => config.trackingPlan.events[event]);
        if (
          known.length > 0 &&
          !known.some((event) => config.trackingPlan.events[event]?.properties[property])
        )
          issues.push({
            path,
            message: `none of the metric's events (${metric.events.join(', ')}) has property "${property}" in the tracking plan`,
          });
      }
    });
    if (series > MAX_SERIES_PER_METRIC)
      issues.push({
        path: ['metrics', metricId, 'breakdowns'],
        message: `metric "${metricId}" would keep ${series} series (values with (other) and (none), times breakdowns, times ${config.grains.length} grains), over the limit of ${MAX_SERIES_PER_METRIC}`,
      });
    total += series;
  }
  if (total > MAX_SERIES)
    issues.push({
      path: ['breakdowns'],
      message: `the metrics would keep ${total} breakdown series in all (values times breakdowns times grains), over the limit of ${MAX_SERIES}`,
    });
}

export function crossCheck(config: NorthstarConfig): Issue[] {
  const issues: Issue[] = [];
  checkTimeZone(config.timeZone, issues);
  checkDuration(config.maxLateness, ['maxLateness'], issues);
  checkDuration(config.clockSkew, ['clockSkew'], issues);
  checkDuration(config.ingest.maxQueueAge, ['ingest', 'maxQueueAge'], issues);
  checkDuration(config.recompute.every, ['recompute', 'every'], issues);
  checkDuration(config.recompute.settleDelay, ['recompute', 'settleDelay'], issues);
  checkCollector(config, issues);
  checkCalendar(config, issues);
  checkBreakdowns(config, issues);
  checkLintAcknowledgements(config, issues);

  for (const [funnelId, funnel] of Object.entries(config.funnels)) {
    checkDuration(funnel.window, ['funnels', funnelId, 'window'], issues);
    funnel.steps.forEach((step, index) => {
      const path = ['funnels', funnelId, 'steps', index];
      if (!config.trackingPlan.events[step.event])
        issues.push({
          path: [...path, 'event'],
          message: `unknown event "${step.event}": not in the tracking plan`,
        });
      else checkFilters(config, [step.event], step.where, [...path, 'where'], issues);
    });
  }

  const stageIds = new Set<string>();
  config.journey?.stages.forEach((stage, index) => {
    if (stageIds.has(stage.id))
      issues.push({ path: ['journey', 'stages', index, 'id'], message: `duplicate stage "${stage.id}"` });
    stageIds.add(stage.id);
    checkEvents(config, stage.events, ['journey', 'stages', index, 'events'], issues);
  });

  for (const [metricId, metric] of Object.entries(config.metrics)) {
    const path = ['metrics', metricId];
    if (!config.grains.includes(metric.grain)) {
      issues.push({
        path: [...path, 'grain'],
        message: `grain ${metric.grain} is not among the kept grains (${config.grains.join(', ')})`,
      });
    }
    if (metric.parent !== undefined && !config.metrics[metric.parent]) {
      issues.push({ path: [...path, 'parent'], message: `unknown parent metric "${metric.parent}"` });
    }
    switch (metric.kind) {
      case 'count':
      case 'distinct_users':
      case 'sum': {
        checkEvents(config, metric.events, [...path, 'events'], issues);
        const known = metric.events.filter((event) => config.trackingPlan.events[event]);
        checkFilters(config, known, metric.where, [...path, 'where'], issues);
        if (metric.kind === 'distinct_users' && metric.window !== undefined) {
          if (metric.grain !== 'day')
            issues.push({
              path: [...path, 'grain'],
              message: `a metric with a window is a day-grain series: grain must be day, not ${metric.grain}`,
            });
          for (const field of ['users', 'minEvents'] as const)
            if (metric[field] !== undefined)
              issues.push({
                path: [...path, field],
                message: `${field} cannot be combined with a window: a window counts every user active in it`,
              });
        }
        if (metric.kind === 'sum') {
          for (const event of known) {
            const definition = config.trackingPlan.events[event]?.properties[metric.property];
            if (definition?.type !== 'number') {
              issues.push({
                path: [...path, 'property'],
                message: `"${metric.property}" must be a number property of event "${event}"`,
              });
            }
          }
        }
        break;
      }
      case 'ratio':
        for (const side of ['numerator', 'denominator'] as const) {
          const other = config.metrics[metric[side]];
          if (!other) issues.push({ path: [...path, side], message: `unknown metric "${metric[side]}"` });
          else if (metric[side] === metricId)
            issues.push({ path: [...path, side], message: 'a ratio cannot refer to itself' });
          else if (other.grain !== metric.grain) {
            issues.push({
              path: [...path, side],
              message: `grain ${other.grain} of "${metric[side]}" differs from the ratio's grain ${metric.grain}`,
            });
          }
        }
        break;
      case 'retention': {
        if (metric.grain === 'hour')
          issues.push({
            path: [...path, 'grain'],
            message: 'retention cohorts are days, weeks or months: grain must be day, week or month',
          });
        for (const side of ['start', 'return'] as const) {
          const step = metric[side];
          const known = config.trackingPlan.events[step.event];
          if (!known)
            issues.push({
              path: [...path, side, 'event'],
              message: `unknown event "${step.event}": not in the tracking plan`,
            });
          else checkFilters(config, [step.event], step.where, [...path, side, 'where'], issues);
        }
        if (metric.mode === 'on_or_after' && metric.until === undefined)
          issues.push({
            path: [...path, 'until'],
            message:
              'mode on_or_after needs until: the last period after the cohort in which a return counts',
          });
        if (metric.mode === 'on' && metric.until !== undefined)
          issues.push({
            path: [...path, 'until'],
            message: 'until is only for mode on_or_after; mode on counts the period at offset alone',
          });
        if (metric.until !== undefined && metric.until < metric.offset)
          issues.push({
            path: [...path, 'until'],
            message: `until (${metric.until}) must be at least offset (${metric.offset})`,
          });
        break;
      }
      case 'funnel_conversion': {
        const funnel = config.funnels[metric.funnel];
        if (!funnel) issues.push({ path: [...path, 'funnel'], message: `unknown funnel "${metric.funnel}"` });
        else if (metric.toStep > funnel.steps.length) {
          issues.push({
            path: [...path, 'toStep'],
            message: `funnel "${metric.funnel}" has ${funnel.steps.length} steps`,
          });
        }
        if (metric.fromStep >= metric.toStep)
          issues.push({ path: [...path, 'fromStep'], message: 'fromStep must be before toStep' });
        break;
      }
    }
  }

  for (const metricId of Object.keys(config.metrics)) {
    const seen = new Set<string>();
    let current: string | undefined = metricId;
    while (current !== undefined && config.metrics[current]) {
      if (seen.has(current)) {
        // Report the cycle on its own members only: a metric that merely hangs below it has a valid parent.
        if (current === metricId) {
          issues.push({
            path: ['metrics', metricId, 'parent'],
            message: `parent cycle: ${[...seen, current].join(' -> ')}`,
          });
        }
        break;
      }
      seen.add(current);
      current = config.metrics[current]?.parent;
    }
  }

  const ratioCycle = findRatioCycle(config);
  if (ratioCycle)
    issues.push({
      path: ['metrics', ratioCycle[0] as string],
      message: `ratio cycle: ${ratioCycle.join(' -> ')}`,
    });

  if (!config.metrics[config.northStar])
    issues.push({ path: ['northStar'], message: `north star "${config.northStar}" is not a metric` });
  else if (config.metrics[config.northStar]?.parent !== undefined)
    issues.push({ path: ['northStar'], message: 'the north star is the root of the tree: it has no parent' });

  return issues;
}

function findRatioCycle(config: NorthstarConfig): string[] | undefined {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (id: string, trail: string[]): string[] | undefined => {
    if (done.has(id)) return undefined;
    if (visiting.has(id)) return [...trail, id];
    const metric = config.metrics[id];
    if (metric?.kind !== 'ratio') return undefined;
    visiting.add(id);
    const found = visit(metric.numerator, [...trail, id]) ?? visit(metric.denominator, [...trail, id]);
    visiting.delete(id);
    done.add(id);
    return found;
  };
  for (const id of Object.keys(config.metrics)) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  return (
    path
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('')
      .replace(/^\./, '') || '(root)'
  );
}

/** Parses and cross-checks a configuration once; throws a ConfigError naming every bad field. */
export function parseConfig(input: unknown): NorthstarConfig {
  const parsed = NorthstarConfigInput.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: formatPath(issue.path),
      message:
        issue.code === 'invalid_key'
          ? `invalid key: ${issue.issues[0]?.message ?? issue.message}`
          : issue.message,
    }));
    const lines = issues.map((issue) => `  ✖ ${issue.message}\n    → at ${issue.path}`);
    throw new ConfigError(`Invalid Northstar configuration:\n${lines.join('\n')}`, issues, {
      cause: parsed.error,
    });
  }
  const issues = crossCheck(parsed.data).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  if (issues.length > 0) {
    const lines = issues.map((issue) => `  ✖ ${issue.message}\n    → at ${issue.path}`);
    throw new ConfigError(`Invalid Northstar configuration:\n${lines.join('\n')}`, issues);
  }
  return parsed.data;
}
