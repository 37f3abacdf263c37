import { type aws_kms as kms, RemovalPolicy, aws_s3 as s3 } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export interface DataBucketProps {
  /** The pipeline's data key: every object is encrypted with it, through a bucket key. */
  readonly dataKey: kms.IKey;
  readonly accessLogs: s3.IBucket;
  readonly accessLogsPrefix: string;
  readonly lifecycleRules: s3.LifecycleRule[];
}

/** A bucket of product data: private, TLS only, encrypted with the data key, logged, kept on stack deletion. */
export function dataBucket(scope: Construct, id: string, props: DataBucketProps): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: props.dataKey,
    bucketKeyEnabled: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: props.accessLogs,
    serverAccessLogsPrefix: props.accessLogsPrefix,
    lifecycleRules: props.lifecycleRules,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
