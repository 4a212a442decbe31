// tsctr events [--since TIME|DURATION] [--filter EXPR]… [--format text|json]
// Prints past events from --since, then follows the journal until SIGINT.
import type { Argv } from 'yargs';
import { setOperation, type GlobalArgs } from '../context.js';

interface EventsArgs extends GlobalArgs { since?: string; filter: string[]; format: string; follow: boolean }

export default function register(y: Argv): Argv {
  return y
    .usage('tsctr events [--since TIME|DURATION] [--filter EXPR]... [--format text|json]\n\nPrint events (TIME NAMESPACE TOPIC PAYLOAD) as commands append them to <root>/events/journal, until interrupted.')
    .option('since', { type: 'string', describe: 'first print past events from this RFC 3339 time or this long ago (10m, 1h30m)' })
    .option('filter', { type: 'string', array: true, default: [], describe: 'topic==/tasks/*, namespace==x, event.container_id==c1, FIELD!=V, FIELD~=REGEX; "," is and, repeated flags or' })
    .option('format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'text (as ctr events) or json (one envelope per line)' })
    .option('follow', { type: 'boolean', default: true, describe: 'keep following the journal (--no-follow: print past events and exit)' })
    .example('tsctr events --filter \'topic==/tasks/*\'', 'task events as they happen')
    .example('tsctr events --since 1h --format json --no-follow', 'the last hour, as JSON lines')
    .command('$0', false, {}, async (argv) => {
      const a = argv as unknown as EventsArgs;
      setOperation('events');
      const { followJournal, parseFilter, parseSince, matchFilters, formatEventText } = await import('../../container/events/index.js');
      const filters = a.filter.map(parseFilter);
      const sinceNs = a.since !== undefined ? parseSince(a.since) : undefined;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      process.stdout.on('error', onSignal); // a closed pipe (| head) ends us quietly
      try {
        await followJournal({
          root: a.root, sinceNs, noFollow: !a.follow, signal: stop.signal,
          warn: (l) => process.stderr.write(`tsctr: ${l}\n`),
          onEvent: (e) => {
            if (matchFilters(filters, e)) process.stdout.write((a.format === 'json' ? JSON.stringify(e) : formatEventText(e)) + '\n');
          },
        });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
