import { relative, resolve } from 'node:path';
import { loadConfig } from '../../shared/domain/config/load.js';
import { ConfigError } from '../../shared/domain/config/validate.js';
import { dayOption, parseCommand } from '../args.js';
import { type CliIo, configIssueLines, UsageError } from '../io.js';
import { runLint } from './lint.js';

export const DEFAULT_CONFIG = 'config/demo.config.ts';

export const validateHelp = `northstar validate [config] [--strict [--today d]]

Checks a configuration (.ts/.js module with a default export, or .json): the schema, then
every cross-reference (events of the tracking plan, funnels, parents, grains). Each problem
is printed with its path, e.g. "metrics.signup_rate.denominator". Exit code 1 when invalid.

  config     the file (default $NORTHSTAR_CONFIG or ${DEFAULT_CONFIG})
  --strict   also check the tree against the north-star rules, as northstar lint does
             (exit 3 on an error finding, 4 on warnings only)
  --today    with --strict: the day targets are judged against (default today in the configured zone)`;

export function configPath(given: string | undefined, io: CliIo): string {
  return resolve(io.cwd, given ?? io.env.NORTHSTAR_CONFIG ?? DEFAULT_CONFIG);
}

export async function validateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, {
    strict: { type: 'boolean' },
    today: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(`${validateHelp}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('validate takes one configuration file');
  const file = configPath(positionals[0], io);
  const today = dayOption('today', values.today);
  if (today && !values.strict) throw new UsageError('--today only applies with --strict');
  if (values.strict)
    return runLint(file, { format: 'text', failOn: 'warning', ...(today ? { today } : {}) }, io);
  const shown = relative(io.cwd, file) || file;
  try {
    const config = await loadConfig(file);
    const count = (record: object) => Object.keys(record).length;
    io.stdout.write(
      `✓ ${shown} is valid: ${count(config.trackingPlan.events)} events, ${count(config.metrics)} metrics, ${count(config.funnels)} funnels, north star "${config.northStar}"\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`✖ ${shown} is not valid (${error.issues.length} problems):\n`);
    io.stderr.write(configIssueLines(error.issues));
    return 1;
  }
}
