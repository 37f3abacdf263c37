import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const outdir = mkdtempSync(join(tmpdir(), 'northstar-synth-'));

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** Bundling every function in a child process takes a while on a busy machine. */
const SYNTH_TIMEOUT = 180_000;

describe('CDK app', () => {
  it(
    'It should synthesise the stack offline with the demo configuration by default and the props from context',
    async () => {
      // What `cdk synth` does: run the app with an output directory and the context of cdk.json.
      const context = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context;
      expect(context.config).toBe('config/demo.config.ts');
      await promisify(execFile)('npx', ['tsx', 'infra/app.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({
            ...context,
            allowedPutEventsAccounts: '111111111111, 222222222222',
            alarmEmails: 'oncall@example.com',
          }),
        },
      });
      const template = JSON.parse(readFileSync(join(outdir, 'NorthstarStack.template.json'), 'utf8')) as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
      };
      const topics = Object.values(template.Resources).filter((r) => r.Type === 'AWS::SNS::Topic');
      // Six owner teams in the demo configuration, and the operations topic.
      expect(topics).toHaveLength(7);
      expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Url')).toHaveLength(1);
      const busPolicy = Object.values(template.Resources).find(
        (r) => r.Type === 'AWS::Events::EventBusPolicy',
      );
      expect(JSON.stringify(busPolicy?.Properties)).toContain(':iam::222222222222:root');
      const endpoints = Object.values(template.Resources)
        .filter((r) => r.Type === 'AWS::SNS::Subscription')
        .map((r) => r.Properties.Endpoint);
      expect(endpoints).toContain('oncall@example.com');
    },
    SYNTH_TIMEOUT,
  );

  it(
    'It should take the configuration from the config context, failing on a file that does not exist',
    async () => {
      const run = promisify(execFile)('npx', ['tsx', 'infra/app.ts'], {
        cwd: ROOT,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ config: 'config/none.ts' }),
        },
      });
      await expect(run).rejects.toThrow(/config\/none\.ts/);
    },
    SYNTH_TIMEOUT,
  );
});
