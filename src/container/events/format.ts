// Text output of `tsctr events`, as `ctr events` prints an envelope:
// TIME NAMESPACE TOPIC PAYLOAD, the time as Go prints it, the payload as JSON.
import { formatGoTime } from './time.js';
import type { Envelope } from './topics.js';

/** Control characters of a hostile payload are escaped by JSON.stringify; namespace and topic were validated. */
export function formatEventText(e: Envelope): string {
  return `${formatGoTime(e.timestamp)} ${e.namespace} ${e.topic} ${JSON.stringify(e.event)}`;
}
