import { relative } from 'node:path';
import { DateTime } from 'luxon';
import { readConfigInput } from '../../shared/domain/config/load.js';
import type { NorthstarConfig } from '../../shared/domain/config/schema.js';
import { ConfigError, parseConfig } from '../../shared/domain/config/validate.js';
import { type LintFinding, type LintReport, lintConfig } from '../../shared/domain/lint/lint.js';
import type { MetricSeries } from '../../shared/use-cases/read-api/schemas.js';
import { dayOption, parseCommand, TARGET_HELP, TARGET_OPTIONS } from '../args.js';
import { type CliIo, configIssueLines, printable, UsageError } from '../io.js';
import { ReadApiClient, targetOf } from '../targets.js';
import { configPath } from './validate.js';

/** Exit codes a CI job can tell apart; 2 is every command's usage error. */
export const LINT_EXIT = { clean: 0, invalid: 1, errors: 3, warnings: 4 } as const;

export const lintHelp = `northstar lint [config] [--format text|json|github] [--fail-on error|warning] [--history] [--today d]

Validates the configuration, then checks the metric tree against the north-star rules (an
inflatable north star, no guardrail, a metric no tree reaches, an owner without a team, a
definition too short to read, a target past its date, two metrics with one definition, a
metric too thin to judge, ...). Each finding has its rule id, severity, why and fix; a
finding the configuration acknowledges (lint.acknowledge, with a reason) is shown, not failed.
docs/owners.md explains every rule.

  config          the file (default $NORTHSTAR_CONFIG or config/demo.config.ts)
  --format        text (default), json (the whole report), github (workflow annotations)
  --fail-on       warning (default): warnings fail too; error: only errors fail
  --history       read each metric's recent settled values from the read API, for the
                  thin-history rule (otherwise it is listed as not checked)
  --today         the day targets are judged against (default today in the configured zone)

Exit codes: 0 nothing fails, 1 the configuration is invalid, 2 a usage error, 3 an error
finding, 4 warning findings only (with --fail-on warning). \`northstar validate --strict\` is the same check.

${TARGET_HELP}`;

const SEVERITY_MARK = { error: '✖', warning: '⚠' } as const;

/** Median of the last eight settled values of each count-like metric: its typical volume. */
async function recentVolumes(config: NorthstarConfig, api: ReadApiClient): Promise<Map<string, number>> {
  const volumes = new Map<string, number>();
  for (const [id, metric] of Object.entries(config.metrics)) {
    if (metric.kind !== 'count' && metric.kind !== 'distinct_users') continue;
    const series = await api.get<MetricSeries>(`/api/metrics/${encodeURIComponent(id)}/series`, {
      grain: metric.grain,
    });
    const values = series.points
      .filter((point) => point.settled && point.value !== null)
      .slice(-8)
      .map((point) => point.value as number)
      .sort((a, b) => a - b);
    if (values.length === 0) continue;
    const middle = Math.floor(values.length / 2);
    volumes.set(id, values.length % 2 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2);
  }
  return volumes;
}

/** A finding's lines; each escaped, as messages quote the configuration's own text. */
function findingLines(finding: LintFinding): string {
  const lines = finding.acknowledged
    ? [
        `✓ acknowledged ${finding.rule} at ${finding.path}: ${finding.message}`,
        `    reason: ${finding.acknowledged}`,
      ]
    : [
        `${SEVERITY_MARK[finding.severity]} ${finding.severity} ${finding.rule} at ${finding.path}`,
        `    ${finding.message}`,
        `    why: ${finding.why}`,
        `    fix: ${finding.fix}`,
      ];
  return lines.map((line) => `${printable(line)}\n`).join('');
}

function summaryLine(shown: string, report: LintReport): string {
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  const notChecked = report.notChecked.map((rule) => `${rule.rule} (needs ${rule.needs})`).join(', ');
  return `${shown}: ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}, ${report.acknowledged} acknowledged${notChecked ? `; not checked: ${notChecked}` : ''}\n`;
}

/** A GitHub workflow command; its message ends at a newline, so newlines are encoded. */
function annotation(file: string, finding: LintFinding): string {
  const encoded = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const property = (text: string) => encoded(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return `::${finding.severity} file=${property(file)},title=${property(`${finding.rule} at ${finding.path}`)}::${encoded(`${finding.message}. ${finding.fix}`)}\n`;
}

export function exitCodeOf(report: LintReport, failOn: 'error' | 'warning'): number {
  if (report.errors > 0) return LINT_EXIT.errors;
  if (report.warnings > 0 && failOn === 'warning') return LINT_EXIT.warnings;
  return LINT_EXIT.clean;
}

/** The lint of one configuration file, printed in the chosen format; its exit code. */
export async function runLint(
  file: string,
  options: { format: string; failOn: 'error' | 'warning'; today?: string; history?: ReadApiClient },
  io: CliIo,
): Promise<number> {
  const shown = relative(io.cwd, file) || file;
  let config: NorthstarConfig;
  let input: unknown;
  try {
    input = await readConfigInput(file);
    config = parseConfig(input);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (options.format === 'json')
      io.stdout.write(`${JSON.stringify({ config: shown, valid: false, issues: error.issues }, null, 2)}\n`);
    else {
      io.stderr.write(`✖ ${shown} is not valid (${error.issues.length} problems):\n`);
      io.stderr.write(configIssueLines(error.issues));
    }
    return LINT_EXIT.invalid;
  }
  const today = options.today ?? DateTime.now().setZone(config.timeZone).toISODate()!;
  const volumes = options.history ? await recentVolumes(config, options.history) : undefined;
  const report = lintConfig({ config, input, today, ...(volumes ? { volumes } : {}) });
  const exitCode = exitCodeOf(report, options.failOn);
  if (options.format === 'json')
    io.stdout.write(
      `${JSON.stringify({ config: shown, valid: true, today, exitCode, ...report }, null, 2)}\n`,
    );
  else if (options.format === 'github') {
    for (const finding of report.findings)
      if (!finding.acknowledged) io.stdout.write(annotation(shown, finding));
    io.stdout.write(summaryLine(shown, report));
  } else {
    for (const finding of report.findings) io.stdout.write(findingLines(finding));
    io.stdout.write(summaryLine(shown, report));
  }
  return exitCode;
}

export async function lintCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    ...TARGET_OPTIONS,
    format: { type: 'string' },
    'fail-on': { type: 'string' },
    history: { type: 'boolean' },
    today: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(`${lintHelp}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('lint takes one configuration file');
  const format = values.format ?? 'text';
  if (!['text', 'json', 'github'].includes(format))
    throw new UsageError(`--format must be text, json or github, got "${format}"`);
  const failOn = values['fail-on'] ?? 'warning';
  if (failOn !== 'error' && failOn !== 'warning')
    throw new UsageError(`--fail-on must be error or warning, got "${failOn}"`);
  const today = dayOption('today', values.today);
  return runLint(
    configPath(positionals[0], io),
    {
      format,
      failOn,
      ...(today ? { today } : {}),
      ...(values.history ? { history: new ReadApiClient(targetOf(values, io)) } : {}),
    },
    io,
  );
}
