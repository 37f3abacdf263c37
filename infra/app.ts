import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { loadConfig } from '../shared/config/load.js';
import { NorthstarPipeline } from './northstar-pipeline.js';

const app = new App();

const configFile: unknown = app.node.tryGetContext('config') ?? 'config/demo.config.ts';
if (typeof configFile !== 'string')
  throw new Error('Context "config" must be the path of a configuration file');
const config = await loadConfig(configFile);

const stack = new Stack(app, 'NorthstarStack', {
  description: 'Northstar: serverless north star metric pipeline',
});
new NorthstarPipeline(stack, 'Pipeline', { config });

// A validation plugin, not an aspect, in cdk-nag 3: unacknowledged findings fail the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
