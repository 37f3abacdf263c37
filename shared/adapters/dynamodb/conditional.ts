import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** A conditional write that lost its condition did nothing: false, not a failure. */
export async function conditional(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
