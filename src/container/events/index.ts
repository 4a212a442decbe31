// The events journal: what commands call (recordEvent), and what
// `tsctr events` reads (followJournal, parseFilter, parseSince).
import { loadSys } from '../../sys/index.js';
import { endPhase } from '../../util/phases.js';
import { appendToJournal, journalPath } from './journal.js';
import type { OnSnapshot } from '../../unpack/index.js';
import type { Payloads, Topic } from './topics.js';

export type { Envelope, Payloads, Topic } from './topics.js';
export { TOPICS } from './topics.js';
export { followJournal, type FollowOptions } from './follow.js';
export { parseFilter, matchFilters, type Filter } from './filter.js';
export { parseSince, formatGoTime } from './time.js';
export { formatEventText } from './format.js';
export { journalPath, previousPath, journalLimit, MAX_LINE_BYTES, LIMIT_BYTES } from './journal.js';

/**
 * Appends an event to <root>/events/journal. The change it reports has
 * already happened, so a journal that cannot be written costs a warning on
 * stderr, not the command.
 */
export async function recordEvent<T extends Topic>(root: string, namespace: string, topic: T, payload: Payloads[T]): Promise<void> {
  const sys = await loadSys();
  const t = performance.now();
  try {
    appendToJournal(root, namespace, topic, payload, { sys });
    endPhase('journal write', t, topic);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    process.stderr.write(`tsctr: warning: events journal ${journalPath(root)}: ${err.code ?? err.message}; event ${topic} not recorded\n`);
  }
}

/** An unpack's onSnapshot (src/unpack): journals the layer snapshots it prepares, commits and removes. */
export function journalSnapshots(root: string, namespace: string): OnSnapshot {
  return (topic, payload) => recordEvent(root, namespace, topic, payload as Payloads[typeof topic]);
}
