import { beforeAll, describe, expect, it } from 'vitest';
import {
  asList,
  demoConfig,
  environmentOf,
  getAtt,
  idOf,
  only,
  resource,
  roleIdOf,
  type Statement,
  SYNTH_TIMEOUT,
  type Synthesised,
  statementsOf,
  synthesise,
} from './template-helpers.js';

let demo: Synthesised;

beforeAll(async () => {
  demo = synthesise({ config: await demoConfig(), backfillPartitions: 8 });
}, SYNTH_TIMEOUT);

/** The state machine's definition, its tokens (ARNs, names) written as their CloudFormation. */
// biome-ignore lint/suspicious/noExplicitAny: the Amazon States Language document, read as it is
function definition(): Record<string, any> {
  const [, machine] = only(demo.template, 'AWS::StepFunctions::StateMachine');
  const parts = (machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  // Tokens sit inside the document's strings: each is written there as its CloudFormation, quoted with '.
  return JSON.parse(
    parts
      .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replaceAll('"', "'")))
      .join(''),
  );
}

const stringsOf = (value: unknown): string => JSON.stringify(value);

describe('NorthstarPipeline: backfill state machine', () => {
  it('It should wait for the archive, partition it with a distributed map over S3 ListObjectsV2, count each partition in a loop, then finish', () => {
    const asl = definition();
    expect(asl.StartAt).toBe('WaitForArchive');
    expect(asl.States.WaitForArchive).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.listAfter',
      Next: 'PartitionArchive',
    });
    const map = asl.States.PartitionArchive;
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.ItemReader.Resource).toContain(':states:::s3:listObjectsV2');
    expect(map.ItemReader.Parameters.Prefix).toBe('events/');
    expect(map.ItemBatcher).toMatchObject({ MaxItemsPerBatch: 10 });
    expect(map.ResultWriter.Parameters.Prefix).toBe('backfill/map-runs/');
    expect(map.Next).toBe('PartitionHistory');
    const counting = asl.States.CountPartitions;
    expect(counting).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.partitions',
      MaxConcurrency: 8,
      Next: 'FinishBackfill',
    });
    const loop = counting.ItemProcessor.States;
    expect(loop.CountPartition.Next).toBe('PartitionDone');
    expect(loop.PartitionDone.Default).toBe('CountPartition');
    const history = asl.States.PartitionHistory;
    for (const step of [
      map.ItemProcessor.States.PartitionObjects,
      history.ItemProcessor.States.PartitionHistoryObjects,
      loop.CountPartition,
      asl.States.FinishBackfill,
    ])
      expect(step.Retry[0]).toMatchObject({
        ErrorEquals: expect.arrayContaining(['States.TaskFailed']),
        BackoffRate: 2,
      });
    for (const state of [map, history, counting, asl.States.FinishBackfill])
      expect(state.Catch[0].Next).toBe('BackfillFailed');
    expect(asl.States.BackfillFailed.Type).toBe('Fail');
    const functions = [
      demo.pipeline.backfill.partitionFunction,
      demo.pipeline.backfill.workerFunction,
      demo.pipeline.backfill.finishFunction,
    ];
    for (const fn of functions) expect(stringsOf(asl)).toContain(idOf(fn));
  });

  it('It should partition the history imports after the archive, with a second distributed map over the history prefix', () => {
    const asl = definition();
    const history = asl.States.PartitionHistory;
    expect(history).toMatchObject({ Type: 'Map', Label: 'PartitionHistory', Next: 'CountPartitions' });
    expect(history.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(history.ItemReader.Resource).toContain(':states:::s3:listObjectsV2');
    expect(history.ItemReader.Parameters.Prefix).toBe('history/');
    expect(stringsOf(history.ItemReader.Parameters.Bucket)).toContain(
      idOf(demo.pipeline.eventArchive.bucket),
    );
    expect(history.ItemBatcher).toMatchObject({ MaxItemsPerBatch: 10 });
    // Under the map-runs prefix, so that the state machine's grant covers its results and they expire.
    expect(history.ResultWriter.Parameters.Prefix).toMatch(/^backfill\/map-runs\//);
    expect(history.ResultPath).toBeNull();
    expect(history.Catch[0].Next).toBe('BackfillFailed');
    expect(stringsOf(history.ItemProcessor.States.PartitionHistoryObjects)).toContain(
      idOf(demo.pipeline.backfill.partitionFunction),
    );
    // Both maps hand each batch the run, the cut and the finished imports the execution names.
    const batchInput = {
      'generation.$': '$.generation',
      'run.$': '$.run',
      'cut.$': '$.cut',
      'partitions.$': '$.partitionCount',
      'imports.$': '$.imports',
    };
    for (const state of [asl.States.PartitionArchive, history])
      expect(state.ItemBatcher.BatchInput).toEqual(batchInput);
  });

  it('It should log every event of the state machine and trace it', () => {
    const [, machine] = only(demo.template, 'AWS::StepFunctions::StateMachine');
    expect(machine.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL' },
    });
  });

  it('It should run the steps with the archive bucket and the table, from the handlers of one bundle', () => {
    const { backfill } = demo.pipeline;
    const handlers = [backfill.partitionFunction, backfill.workerFunction, backfill.finishFunction].map(
      (fn) => resource(demo.template, idOf(fn)).Properties.Handler,
    );
    expect(handlers).toEqual(['index.partitionHandler', 'index.workerHandler', 'index.finishHandler']);
    expect(environmentOf(resource(demo.template, idOf(backfill.workerFunction)))).toMatchObject({
      ARCHIVE_BUCKET: { Ref: idOf(demo.pipeline.eventArchive.bucket) },
      TABLE_NAME: { Ref: idOf(demo.pipeline.state.table) },
    });
  });

  it('It should grant S3 only under the archive, history and backfill prefixes, and the table partitions each step needs', () => {
    const bucketArn = getAtt(idOf(demo.pipeline.eventArchive.bucket));
    const objectsUnder = (prefix: string) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] });
    const s3Of = (statements: Statement[]) =>
      statements
        .filter((s) => asList(s.Action).some((action) => action.startsWith('s3:')))
        .map((s) => ({ actions: asList(s.Action), resource: s.Resource, condition: s.Condition }));
    const roleStatements = (fn: typeof demo.pipeline.backfill.partitionFunction) =>
      statementsOf(demo.template, roleIdOf(resource(demo.template, idOf(fn))));
    const { backfill } = demo.pipeline;
    expect(s3Of(roleStatements(backfill.partitionFunction))).toEqual([
      {
        actions: ['s3:GetObject'],
        resource: [objectsUnder('events/'), objectsUnder('history/')],
        condition: undefined,
      },
      { actions: ['s3:PutObject'], resource: objectsUnder('backfill/'), condition: undefined },
    ]);
    expect(s3Of(roleStatements(backfill.workerFunction))).toEqual([
      {
        actions: ['s3:ListBucket'],
        resource: bucketArn,
        condition: { StringLike: { 's3:prefix': ['backfill/*'] } },
      },
      { actions: ['s3:GetObject'], resource: objectsUnder('backfill/'), condition: undefined },
    ]);
    expect(s3Of(roleStatements(backfill.finishFunction))).toEqual([]);
    const finishTable = roleStatements(backfill.finishFunction).filter((s) =>
      asList(s.Action).some((a) => a.startsWith('dynamodb:')),
    );
    expect(finishTable).toEqual([
      expect.objectContaining({
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['VERSIONS'] } },
      }),
    ]);
    const machineRole = idOf(backfill.stateMachine.role);
    const machine = statementsOf(demo.template, machineRole);
    expect(s3Of(machine)).toEqual([
      {
        actions: ['s3:ListBucket'],
        resource: bucketArn,
        condition: { StringLike: { 's3:prefix': ['events/*', 'history/*'] } },
      },
      {
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resource: objectsUnder('backfill/map-runs/'),
        condition: undefined,
      },
    ]);
    // No statement anywhere in the stack names the whole bucket's objects.
    for (const statement of [
      ...machine,
      ...roleStatements(backfill.partitionFunction),
      ...roleStatements(backfill.workerFunction),
    ])
      expect(stringsOf(statement.Resource)).not.toMatch(/Arn"\]\},"\/\*"/);
    const invoked = machine.filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    expect(invoked.flatMap((s) => asList(s.Resource))).toEqual(
      [backfill.partitionFunction, backfill.workerFunction, backfill.finishFunction].map((fn) =>
        getAtt(idOf(fn)),
      ),
    );
  });

  it('It should let the recompute function only start executions of this state machine, and tell it the cut', () => {
    const recompute = resource(demo.template, idOf(demo.pipeline.recomputeFunction));
    const states = statementsOf(demo.template, roleIdOf(recompute)).filter((s) =>
      asList(s.Action).some((action) => action.startsWith('states:')),
    );
    expect(states).toEqual([
      expect.objectContaining({
        Action: 'states:StartExecution',
        Resource: { Ref: idOf(demo.pipeline.backfill.stateMachine) },
      }),
    ]);
    expect(environmentOf(recompute)).toMatchObject({
      BACKFILL_PARTITIONS: '8',
      BACKFILL_CUT_AFTER_SECONDS: '330',
    });
    for (const fn of [demo.pipeline.ingestFunction, demo.pipeline.readApi.function]) {
      const others = statementsOf(demo.template, roleIdOf(resource(demo.template, idOf(fn))));
      expect(others.flatMap((s) => asList(s.Action)).filter((a) => a.startsWith('states:'))).toEqual([]);
    }
  });

  it('It should expire partitions under the backfill prefix', () => {
    const bucket = resource(demo.template, idOf(demo.pipeline.eventArchive.bucket));
    expect(stringsOf(bucket.Properties.LifecycleConfiguration)).toContain('"Prefix":"backfill/"');
  });
});
