import type { StoredEvent } from '../../contracts/events/envelope.js';
import type { CliContext, Outcome } from '../context.js';
import type { Colors } from '../render/ui.js';
import { untilSignal } from '../signals.js';
import { eventDetails } from './event-line.js';

/** `03:04:05.006  <runId>  step.succeeded  fetch#2 9ms` */
export const tailLine = (c: Colors, e: StoredEvent): string => {
  const time = new Date(e.at).toISOString().slice(11, 23);
  const run = e.stream.startsWith('run/') ? e.stream.slice(4) : e.stream;
  return [c.dim(time), run, e.type.padEnd(22), ...eventDetails(c, e)].join('  ').trimEnd();
};

const ended: Outcome = { data: null, human: () => '', jsonText: () => '' };

/**
 * `lily jobs tail <id> [--since <runId|time>]`: the job's events as published over NATS, one
 * line each (`--json`: each stored event as one JSON line), until Ctrl-C. With `--since` the
 * logged events come first, with nothing lost or repeated in between.
 */
export const tailJob = async (
  ctx: CliContext,
  jobId: string,
  options: { since?: string },
): Promise<Outcome> => {
  const tail = await ctx.client.events.tailJob(
    jobId,
    options.since === undefined ? {} : { since: options.since },
    (e) => ctx.ui.out(ctx.json ? JSON.stringify(e) : tailLine(ctx.ui.colors, e)),
  );
  try {
    ctx.ui.err(ctx.ui.errColors.dim(`tailing job ${jobId} (Ctrl-C to stop)`));
    await untilEnd(tail);
  } finally {
    await tail.close();
  }
  return ended;
};

/** Until Ctrl-C (exit 0), or the project's NATS stopping under the tail (its error: exit 1). */
const untilEnd = async (tail: { ended: Promise<Error> }): Promise<void> => {
  const end = await Promise.race([untilSignal().then(() => undefined), tail.ended]);
  if (end) throw end;
};

/** `lily events tail [subject]`: any Lily subject (default `lily.<ns>.>`), raw: `subject  payload`. */
export const tailEvents = async (ctx: CliContext, subject: string | undefined): Promise<Outcome> => {
  const tail = await ctx.client.events.tail(subject, (m) =>
    ctx.ui.out(
      ctx.json
        ? JSON.stringify({ subject: m.subject, data: m.data })
        : `${ctx.ui.colors.cyan(m.subject)}  ${m.text}`,
    ),
  );
  try {
    ctx.ui.err(ctx.ui.errColors.dim(`tailing ${tail.pattern} (Ctrl-C to stop)`));
    await untilEnd(tail);
  } finally {
    await tail.close();
  }
  return ended;
};
