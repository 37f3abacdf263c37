import { describe, expect, test } from 'vitest';
import demo from '../../../config/demo.config.js';
import { withRuntimeDashboard } from '../../../local/runtime.js';
import { parseConfig } from '../../../shared/domain/config/validate.js';
import { compileConfig } from '../../../shared/domain/engine/compiled-config.js';

const compiledWith = (recompute: Record<string, unknown> = {}) =>
  compileConfig(parseConfig({ ...demo, recompute }));

describe('withRuntimeDashboard', () => {
  test('It should point alert links at the runtime when the dashboard URL is left at its default', () => {
    const compiled = compiledWith();
    expect(compiled.config.recompute.dashboardUrl).toBe('http://127.0.0.1:4000');
    const local = withRuntimeDashboard(compiled, 'http://127.0.0.1:4555');
    expect(local.config.recompute.dashboardUrl).toBe('http://127.0.0.1:4555');
    // Everything else is the same configuration: the same versions, the same schedule.
    expect(local.defIds).toBe(compiled.defIds);
    expect(local.config.recompute.every).toBe(compiled.config.recompute.every);
  });

  test('It should take the default written with a trailing slash for the default too', () => {
    const compiled = compiledWith({ dashboardUrl: 'http://127.0.0.1:4000/' });
    const local = withRuntimeDashboard(compiled, 'http://0.0.0.0:8080');
    expect(local.config.recompute.dashboardUrl).toBe('http://0.0.0.0:8080');
  });

  test('It should keep a dashboard URL the configuration sets to anything else', () => {
    const compiled = compiledWith({ dashboardUrl: 'https://northstar.example.com' });
    expect(withRuntimeDashboard(compiled, 'http://127.0.0.1:4555')).toBe(compiled);
  });

  test('It should change nothing for a runtime on the default address', () => {
    const compiled = compiledWith();
    expect(withRuntimeDashboard(compiled, 'http://127.0.0.1:4000')).toBe(compiled);
  });
});
