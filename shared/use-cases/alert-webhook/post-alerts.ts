import { chatWebhookBody } from '../../domain/alerts/alert-message.js';
import { type WebhookRoutes, webhookUrlsFor } from '../../domain/alerts/webhook-routes.js';
import { NorthstarError } from '../../domain/errors.js';

export class WebhookDeliveryError extends NorthstarError {
  override readonly name = 'WebhookDeliveryError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('webhook_delivery_failed', message, options);
  }
}

/** An HTTP POST of a JSON body: `fetch` in the function, a recorder in tests. */
export type Post = (url: string, body: string) => Promise<{ status: number }>;

/** One alert message as its team's topic delivered it. */
export interface TopicMessage {
  readonly topicArn: string;
  readonly messageId: string;
  readonly message: string;
  /** The message's `northstar.kind` attribute: set on review digests, absent on alerts. */
  readonly kind?: string;
}

export interface PostAlertsDeps {
  readonly routes: WebhookRoutes;
  readonly post: Post;
  readonly onPosted?: (delivery: { host: string; messageId: string }) => void;
}

/**
 * Posts each alert or digest message as `{ text }` to every chat webhook of its team's topic. A failed
 * or refused POST throws, so the invocation is retried and then dead-lettered.
 */
export async function postAlerts(messages: readonly TopicMessage[], deps: PostAlertsDeps): Promise<void> {
  for (const { topicArn, messageId, message, kind } of messages) {
    const urls = webhookUrlsFor(deps.routes, topicArn);
    if (!urls) throw new WebhookDeliveryError(`No webhook is configured for ${topicArn}`);
    const body = JSON.stringify(chatWebhookBody(message, kind));
    for (const url of urls) {
      const { host } = new URL(url);
      const { status } = await deps.post(url, body).catch((cause: unknown) => {
        throw new WebhookDeliveryError(`POST to ${host} failed`, { cause });
      });
      if (status < 200 || status >= 300) throw new WebhookDeliveryError(`POST to ${host} answered ${status}`);
      deps.onPosted?.({ host, messageId });
    }
  }
}
