import { ConfigError } from '../shared/domain/config/validate.js';
import { alertsCommand, alertsHelp } from './commands/alerts.js';
import { annotateCommand, annotateHelp } from './commands/annotate.js';
import { backfillCommand, backfillHelp } from './commands/backfill.js';
import { backtestCommand, backtestHelp } from './commands/backtest.js';
import { importCommand, importHelp } from './commands/import.js';
import { lintCommand, lintHelp } from './commands/lint.js';
import { quarantineCommand, quarantineHelp } from './commands/quarantine.js';
import { queryCommand, queryHelp } from './commands/query.js';
import { recomputeCommand, recomputeHelp } from './commands/recompute.js';
import { replayCommand, replayHelp } from './commands/replay.js';
import { schemasCommand, schemasHelp } from './commands/schemas.js';
import { validateCommand, validateHelp } from './commands/validate.js';
import { type CliIo, CommandError, configIssueLines, UsageError } from './io.js';

interface Command {
  readonly summary: string;
  readonly help: string;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  validate: {
    summary: 'check a configuration; problems with their path',
    help: validateHelp,
    run: validateCommand,
  },
  lint: {
    summary: 'check the metric tree against the north-star rules; CI exit codes, --format json',
    help: lintHelp,
    run: lintCommand,
  },
  schemas: {
    summary: 'JSON Schema of every tracking-plan event (EventBridge registry)',
    help: schemasHelp,
    run: schemasCommand,
  },
  replay: {
    summary: 'send historical events from NDJSON, resumable, with progress',
    help: replayHelp,
    run: replayCommand,
  },
  quarantine: {
    summary: 'list quarantined events; replay them once the plan is fixed',
    help: quarantineHelp,
    run: quarantineCommand,
  },
  query: { summary: "a metric's series or a funnel, as a table or JSON", help: queryHelp, run: queryCommand },
  recompute: {
    summary: 'run the recompute now, optionally over a range',
    help: recomputeHelp,
    run: recomputeCommand,
  },
  alerts: { summary: 'list alerts; acknowledge one', help: alertsHelp, run: alertsCommand },
  annotate: {
    summary: 'mark a span ("campaign launch", "outage"): left out of history, shown on every chart',
    help: annotateHelp,
    run: annotateCommand,
  },
  backtest: {
    summary: "replay the deviation detector over a metric's history: alerts, a month, precision",
    help: backtestHelp,
    run: backtestCommand,
  },
  import: {
    summary: 'import historical events (NDJSON, archived events, CSV); every metric is rebuilt',
    help: importHelp,
    run: importCommand,
  },
  backfill: {
    summary: 'definition versions and the backfill of new ones, with progress',
    help: backfillHelp,
    run: backfillCommand,
  },
};

export const USAGE = `northstar <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(12)}${command.summary}`)
  .join('\n')}

Every command works against the local runtime (npm start, http://127.0.0.1:4000) by default
and against AWS with --endpoint, --api-url, --region and --profile.
Run "northstar <command> --help" for its options.`;

/** Runs one command line; returns the exit code. Errors are printed, never thrown. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    io.stdout.write(`${topic ? topic.help : USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout.write('northstar 0.1.0\n');
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(`northstar: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`northstar ${name}: ${error.message}\nRun "northstar ${name} --help" for usage.\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`northstar ${name}: invalid configuration:\n`);
      io.stderr.write(configIssueLines(error.issues));
      return 1;
    }
    if (error instanceof CommandError) {
      io.stderr.write(`northstar ${name}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`northstar ${name}: ${(error as Error)?.stack ?? String(error)}\n`);
    return 1;
  }
}
