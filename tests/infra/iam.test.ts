import { beforeAll, describe, expect, it } from 'vitest';
import type { PipelineFunction } from '../../infra/pipeline-function.js';
import {
  asList,
  demoConfig,
  getAtt,
  idOf,
  resource,
  roleIdOf,
  type Statement,
  SYNTH_TIMEOUT,
  type Synthesised,
  statementsOf,
  synthesise,
  withGrowthWebhook,
} from './template-helpers.js';

let synthesised: Synthesised;

beforeAll(async () => {
  synthesised = synthesise({ config: withGrowthWebhook(await demoConfig()) });
}, SYNTH_TIMEOUT);

/** The role's statements after checking what every function role must satisfy. */
function checkedStatements(fn: PipelineFunction): Statement[] {
  const { template } = synthesised;
  const roleId = roleIdOf(resource(template, idOf(fn)));
  expect(resource(template, roleId).Properties.ManagedPolicyArns).toBeUndefined();
  const statements = statementsOf(template, roleId);
  for (const statement of statements) {
    expect(statement.Effect).toBe('Allow');
    const actions = asList(statement.Action);
    for (const action of actions) expect(action, JSON.stringify(statement)).not.toMatch(/^\*$|:\*$/);
    // One service per statement, so that a statement's resources belong to that service.
    expect(new Set(actions.map((action) => action.split(':')[0])).size, JSON.stringify(actions)).toBe(1);
    // Only actions without resource-level permissions may use Resource "*": X-Ray's, and reading metrics.
    if (asList(statement.Resource).includes('*'))
      expect(actions.every((a) => a.startsWith('xray:') || a === 'cloudwatch:GetMetricData')).toBe(true);
  }
  return statements;
}

/** Each statement's service mapped to the one resource list it names, for exact comparison. */
function resourcesByService(statements: Statement[]): Record<string, unknown[]> {
  const byService: Record<string, unknown[]> = {};
  for (const statement of statements) {
    const service = asList(statement.Action)[0]?.split(':')[0] as string;
    byService[service] = [...(byService[service] ?? []), ...asList(statement.Resource)];
  }
  for (const service of Object.keys(byService)) {
    byService[service] = [...new Map(byService[service]?.map((r) => [JSON.stringify(r), r])).values()];
  }
  return byService;
}

function actionsOf(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap((statement) => asList(statement.Action)))].sort();
}

describe('NorthstarPipeline: least privilege per function', () => {
  it('It should let ingest use the table, its key, its queue and its own log group only', () => {
    const { pipeline } = synthesised;
    const statements = checkedStatements(pipeline.ingestFunction);
    expect(resourcesByService(statements)).toEqual({
      logs: [getAtt(idOf(pipeline.ingestFunction.logGroup))],
      xray: ['*'],
      dynamodb: [getAtt(idOf(pipeline.state.table))],
      kms: [getAtt(idOf(pipeline.state.dataKey))],
      sqs: [getAtt(idOf(pipeline.state.ingestQueue))],
    });
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining([
        'dynamodb:BatchGetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'sqs:DeleteMessage',
      ]),
    );
    expect(actionsOf(statements)).not.toContain('events:PutEvents');
  });

  it('It should let recompute use the table, PutEvents on the bus alone and dead-letter its runs', () => {
    const { pipeline } = synthesised;
    const statements = checkedStatements(pipeline.recomputeFunction);
    expect(resourcesByService(statements)).toEqual({
      logs: [getAtt(idOf(pipeline.recomputeFunction.logGroup))],
      xray: ['*'],
      dynamodb: [getAtt(idOf(pipeline.state.table))],
      kms: [getAtt(idOf(pipeline.state.dataKey))],
      events: [getAtt(idOf(pipeline.state.bus))],
      sqs: [getAtt(idOf(pipeline.state.recomputeDeadLetterQueue))],
      states: [{ Ref: idOf(pipeline.backfill.stateMachine) }],
      cloudwatch: ['*'],
    });
    const events = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('events:')));
    expect(events.flatMap((s) => asList(s.Action))).toEqual(['events:PutEvents']);
    // Metrics are read with GetMetricData alone, which takes no resource: the ingest queue's age.
    const metrics = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('cloudwatch:')));
    expect(metrics.flatMap((s) => asList(s.Action))).toEqual(['cloudwatch:GetMetricData']);
  });

  it('It should let the read API read the table, write alert, range and import items only, quarantine refused imported events, keep imported history, and invoke the recompute function', () => {
    const { pipeline } = synthesised;
    const tableArn = getAtt(idOf(pipeline.state.table));
    const statements = checkedStatements(pipeline.readApi.function);
    const named = statements.filter((statement) => statement.Sid !== undefined);
    expect(named).toEqual([
      {
        Sid: 'ReadTable',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'],
        Resource: tableArn,
      },
      {
        Sid: 'AcknowledgeAlertsAndMarkRanges',
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: tableArn,
        Condition: {
          'ForAllValues:StringEquals': {
            'dynamodb:LeadingKeys': ['ALERT', 'DIRTY', 'VERSIONS', 'ANNOTATION'],
          },
        },
      },
      {
        Sid: 'RemoveAnnotations',
        Effect: 'Allow',
        Action: 'dynamodb:DeleteItem',
        Resource: tableArn,
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['ANNOTATION'] } },
      },
      {
        Sid: 'QuarantineImportedEvents',
        Effect: 'Allow',
        Action: 'dynamodb:BatchWriteItem',
        Resource: tableArn,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['Q#*'] } },
      },
      {
        Sid: 'UseTableKey',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: getAtt(idOf(pipeline.state.dataKey)),
      },
      {
        Sid: 'RunRecompute',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: getAtt(idOf(pipeline.recomputeFunction)),
      },
      {
        Sid: 'WriteHistory',
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: {
          'Fn::Join': ['', [getAtt(idOf(pipeline.eventArchive.bucket)), '/history/*']],
        },
      },
    ]);
    // The rest: its log group and X-Ray.
    expect(resourcesByService(statements.filter((statement) => statement.Sid === undefined))).toEqual({
      logs: [getAtt(idOf(pipeline.readApi.function.logGroup))],
      xray: ['*'],
    });
    const dynamodb = actionsOf(statements).filter((action) => action.startsWith('dynamodb:'));
    expect(dynamodb).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('It should let the webhook formatter write its logs, traces and dead letters, and touch no data', () => {
    const { pipeline } = synthesised;
    const fn = pipeline.alerts.webhookFunction;
    if (!fn) throw new Error('a webhook contact should create the formatter');
    expect(resourcesByService(checkedStatements(fn))).toEqual({
      logs: [getAtt(idOf(fn.logGroup))],
      xray: ['*'],
      sqs: [getAtt(idOf(pipeline.state.alertDeadLetterQueue))],
    });
  });
});
