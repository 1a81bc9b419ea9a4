import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `lily events tail [subject]`. */
export const registerEvents = (program: Command): Command => {
  const events = program.command('events').description('raw NATS subjects of the namespace');
  events
    .command('tail')
    .description(
      'print every message on a subject pattern: `subject  payload` (--json: JSON lines); Ctrl-C stops',
    )
    .argument('[subject]', 'subject or pattern (default lily.<namespace>.evt.> and lily.<namespace>.sys.>)')
    .action(lazy(async () => (await import('../actions/tail.js')).tailEvents));
  return events;
};
