import { z } from 'zod';

/** Which chat webhooks each owner team's SNS topic posts to; built from the metric configuration. */
export const WebhookRoutes = z.array(
  z.object({ topicArn: z.string().min(1), urls: z.array(z.url()).min(1) }),
);
export type WebhookRoutes = z.infer<typeof WebhookRoutes>;

/** The webhooks of a topic; undefined when none is configured for it. */
export function webhookUrlsFor(routes: WebhookRoutes, topicArn: string): readonly string[] | undefined {
  return routes.find((route) => route.topicArn === topicArn)?.urls;
}
