import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { PublishToTopic } from '../../use-cases/review/deliver-digests.js';

/** Each publication as one SNS `Publish`, its attributes as string message attributes. */
export function snsPublisher(client: SNSClient): PublishToTopic {
  return async ({ topicArn, subject, message, attributes }) => {
    const { MessageId } = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: subject,
        Message: message,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([name, value]) => [
            name,
            { DataType: 'String', StringValue: value },
          ]),
        ),
      }),
    );
    return MessageId ? { messageId: MessageId } : {};
  };
}
