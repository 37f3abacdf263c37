import type * as events from 'aws-cdk-lib/aws-events';
import type { EventPattern } from '../shared/domain/bus/rule-patterns.js';

/**
 * CDK's EventPattern types fields as string lists, but renders any JSON it is
 * given; only `detailType` is renamed, and the shared patterns already use
 * EventBridge's `detail-type`.
 */
export function toCdkEventPattern(pattern: EventPattern): events.EventPattern {
  return pattern as unknown as events.EventPattern;
}
