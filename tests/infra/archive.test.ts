import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_PREFIX, EventArchive } from '../../infra/event-archive.js';
import {
  demoConfig,
  getAtt,
  idOf,
  only,
  SYNTH_TIMEOUT,
  type Synthesised,
  scratchStack,
  synthesise,
} from './template-helpers.js';

let demo: Synthesised;
let shortLived: Synthesised;

beforeAll(async () => {
  const config = await demoConfig();
  demo = synthesise({ config });
  shortLived = synthesise({ config, archiveRetention: Duration.days(30) });
}, SYNTH_TIMEOUT);

describe('NorthstarPipeline: the S3 event archive', () => {
  it('It should keep the archive in a private bucket encrypted with the data key, logged, and expired after 400 days', () => {
    const bucketId = idOf(demo.pipeline.eventArchive.bucket);
    demo.template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: getAtt(idOf(demo.pipeline.state.dataKey)),
              },
            }),
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: idOf(demo.pipeline.eventArchive.accessLogs) },
          LogFilePrefix: 'archive/',
        },
        LifecycleConfiguration: {
          Rules: [
            // What Firehose writes, events and error output, expires after the retention.
            Match.objectLike({ Id: 'Retention', Prefix: 'events/', ExpirationInDays: 400 }),
            Match.objectLike({ Id: 'ErrorRetention', Prefix: 'errors/', ExpirationInDays: 400 }),
            // Unfinished uploads are aborted anywhere in the bucket.
            Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
            // A backfill's partitions expire sooner.
            Match.objectLike({ Prefix: 'backfill/', ExpirationInDays: 14 }),
          ],
        },
      }),
    });
    expect(bucketId).toBeTruthy();
    shortLived.template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.anyValue(),
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Prefix: 'events/', ExpirationInDays: 30 }),
          Match.objectLike({ Prefix: 'errors/', ExpirationInDays: 30 }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
          Match.objectLike({ Prefix: 'backfill/' }),
        ],
      },
    });
  });

  it('It should keep history imports until removed: every expiring rule is scoped to a prefix, none to history/', () => {
    for (const { template, pipeline } of [demo, shortLived]) {
      const bucket = template.toJSON().Resources[idOf(pipeline.eventArchive.bucket)];
      const rules = bucket.Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
      const expiring = rules.filter(
        (rule) =>
          rule.ExpirationInDays !== undefined ||
          rule.ExpirationDate !== undefined ||
          rule.NoncurrentVersionExpiration !== undefined ||
          rule.Transitions !== undefined,
      );
      expect(expiring.map((rule) => rule.Prefix).sort()).toEqual(['backfill/', 'errors/', 'events/']);
      for (const rule of expiring) {
        const prefix = rule.Prefix as string;
        expect(prefix.length).toBeGreaterThan(0);
        expect('history/'.startsWith(prefix), prefix).toBe(false);
        expect(rule.TagFilters).toBeUndefined();
      }
      // The whole-bucket rule only aborts unfinished uploads.
      for (const rule of rules.filter((rule) => rule.Prefix === undefined))
        expect(Object.keys(rule).sort()).toEqual(['AbortIncompleteMultipartUpload', 'Id', 'Status']);
    }
  });

  it('It should deliver gzip-compressed NDJSON, one record a line, partitioned by arrival hour', () => {
    const [, stream] = only(demo.template, 'AWS::KinesisFirehose::DeliveryStream');
    const destination = stream.Properties.ExtendedS3DestinationConfiguration as Record<string, unknown>;
    expect(destination).toMatchObject({
      BucketARN: getAtt(idOf(demo.pipeline.eventArchive.bucket)),
      CompressionFormat: 'GZIP',
      Prefix: ARCHIVE_PREFIX,
      EncryptionConfiguration: {
        KMSEncryptionConfig: { AWSKMSKeyARN: getAtt(idOf(demo.pipeline.state.dataKey)) },
      },
      ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'AppendDelimiterToRecord' }] },
    });
    expect(ARCHIVE_PREFIX).toContain('!{timestamp:yyyy-MM-dd}');
    expect(stream.Properties.DeliveryStreamEncryptionConfigurationInput).toMatchObject({
      KeyType: 'CUSTOMER_MANAGED_CMK',
    });
  });

  it('It should send every event on the bus to it with its arrival time, dead-lettering what it cannot deliver', () => {
    const archive = demo.pipeline.eventArchive;
    demo.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: idOf(demo.pipeline.state.bus) },
      EventPattern: { source: [{ prefix: '' }] },
      Targets: [
        Match.objectLike({
          Arn: getAtt(idOf(archive.deliveryStream)),
          InputTransformer: {
            InputPathsMap: { event: '$' },
            InputTemplate: '{"arrivedAt":"<aws.events.event.ingestion-time>","event":<event>}',
          },
          DeadLetterConfig: { Arn: getAtt(idOf(archive.deadLetterQueue)) },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        }),
      ],
    });
    demo.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: idOf(archive.deadLetterQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'ArchiveRuleDeadLetters',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': getAtt(idOf(archive.rule)) } },
          }),
        ]),
      },
    });
  });

  it('It should refuse a retention under a day, saying why', () => {
    const stack = scratchStack();
    expect(
      () =>
        new EventArchive(stack, 'Archive', {
          bus: new events.EventBus(stack, 'Bus'),
          dataKey: new kms.Key(stack, 'Key'),
          retention: Duration.hours(6),
        }),
    ).toThrow('archiveRetention: the event archive keeps events whole days, at least one');
  });
});
