import type { Bus, BusMessage } from '../../actors/bus/bus.js';
import { silentLogger } from '../../actors/logger.js';
import { allEventsPattern, jobEventsPattern, sysPattern } from '../../actors/subjects.js';
import { LilyError } from '../../contracts/errors.js';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isJobId, isRunId, parseJobId } from '../../contracts/ids.js';
import { connectTarget, resolveNatsTarget } from '../../deployment/connect.js';
import { managedNatsStatus } from '../../deployment/nats-server/index.js';
import { openLilyStorage } from '../../eventstore/storage.js';
import type { CliContext, Outcome } from '../context.js';
import type { Colors } from '../render/ui.js';
import { eventDetails } from './event-line.js';
import { type ProjectSettings, projectSettings } from './live-target.js';

/** NATS to tail: `--nats` / env / config url, or the managed server when it runs (no engine needed). */
const tailBus = async (ctx: CliContext, settings: ProjectSettings): Promise<Bus> => {
  const target = await resolveNatsTarget(settings.paths, settings.config, ctx.nats, 'observer');
  const running =
    target?.source !== 'managed' || (await managedNatsStatus(settings.paths.root)).status === 'running';
  if (!target || !running) {
    throw new LilyError(
      'bus_unavailable',
      'nothing to tail: no NATS is running for this project; start a deployment with `lily up` (or pass --nats <url>)',
      { hint: 'lily up' },
    );
  }
  return connectTarget(target, 'lily-cli-tail', silentLogger());
};

/** Resolves on SIGINT or SIGTERM (a tail ends when the operator stops it). */
const untilSignal = (): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });

const isStoredEvent = (v: unknown): v is StoredEvent =>
  typeof v === 'object' && v !== null && typeof (v as StoredEvent).pos === 'number';

/** `03:04:05.006  <runId>  step.succeeded  fetch#2 9ms` */
export const tailLine = (c: Colors, e: StoredEvent): string => {
  const time = new Date(e.at).toISOString().slice(11, 23);
  const run = e.stream.startsWith('run/') ? e.stream.slice(4) : e.stream;
  return [c.dim(time), run, e.type.padEnd(22), ...eventDetails(c, e)].join('  ').trimEnd();
};

/** Logged events of the job from `since` (a run id: that run and later ones; else an ISO time). */
const logSince = async (settings: ProjectSettings, jobId: string, since: string): Promise<StoredEvent[]> => {
  const fromMs = isRunId(since) ? undefined : Date.parse(since);
  if (fromMs !== undefined && Number.isNaN(fromMs)) {
    throw new LilyError('usage_invalid', `--since ${since}: not a run id nor an ISO time`, {
      reason: 'since',
      value: since,
    });
  }
  const storage = await openLilyStorage({ dir: settings.paths.root });
  try {
    const out: StoredEvent[] = [];
    for (const stream of await storage.events.listStreams('run/')) {
      if (fromMs === undefined && stream.slice(4) < since) continue;
      const events = await storage.events.readStream(stream);
      if ((events[0]?.data as { jobId?: string } | undefined)?.jobId !== jobId) continue;
      out.push(...events.filter((e) => fromMs === undefined || e.at >= fromMs));
    }
    return out.sort((a, b) => a.pos - b.pos);
  } finally {
    await storage.close();
  }
};

/**
 * `lily jobs tail <id> [--since <runId|time>]`: the job's events as published over NATS, one
 * line each (`--json`: each stored event as one JSON line), until Ctrl-C. With `--since` the
 * logged events come first; the subscription is made before the log is read, and events are
 * deduplicated by global position, so nothing falls in between.
 */
export const tailJob = async (
  ctx: CliContext,
  jobId: string,
  options: { since?: string },
): Promise<Outcome> => {
  const settings = await projectSettings(ctx.dir);
  if (!isJobId(jobId))
    throw new LilyError('job_not_found', `no job ${jobId}: not a valid job id`, { id: jobId });
  const bus = await tailBus(ctx, settings);
  const seen = new Set<number>();
  const print = (e: StoredEvent) => {
    if (seen.has(e.pos)) return;
    seen.add(e.pos);
    ctx.ui.out(ctx.json ? JSON.stringify(e) : tailLine(ctx.ui.colors, e));
  };
  let held: StoredEvent[] | undefined = options.since === undefined ? undefined : [];
  const sub = bus.subscribe(jobEventsPattern(settings.ns, parseJobId(jobId)), (msg) => {
    const e = msg.json();
    if (!isStoredEvent(e)) return;
    if (held) held.push(e);
    else print(e);
  });
  try {
    await bus.flush();
    ctx.ui.err(ctx.ui.errColors.dim(`tailing job ${jobId} (Ctrl-C to stop)`));
    if (options.since !== undefined) {
      for (const e of await logSince(settings, jobId, options.since)) print(e);
      const live = held ?? [];
      held = undefined;
      for (const e of live) print(e);
    }
    await untilSignal();
  } finally {
    sub.unsubscribe();
    await bus.close();
  }
  return { data: null, human: () => '', jsonText: () => '' };
};

/**
 * `lily events tail [subject]`: a Lily subject pattern, raw: `subject  payload`. Default: what
 * the observer credential may read, `lily.<ns>.evt.>` and `lily.<ns>.sys.>`.
 */
export const tailEvents = async (ctx: CliContext, subject: string | undefined): Promise<Outcome> => {
  const settings = await projectSettings(ctx.dir);
  const patterns = subject ? [subject] : [allEventsPattern(settings.ns), sysPattern(settings.ns)];
  const pattern = patterns.join(' ');
  const bus = await tailBus(ctx, settings);
  const decoder = new TextDecoder();
  const print = (msg: BusMessage) => {
    const text = decoder.decode(msg.data);
    if (!ctx.json) return ctx.ui.out(`${ctx.ui.colors.cyan(msg.subject)}  ${text}`);
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      // raw text stays a string
    }
    ctx.ui.out(JSON.stringify({ subject: msg.subject, data }));
  };
  const subs = patterns.map((p) => bus.subscribe(p, print));
  try {
    await bus.flush();
    ctx.ui.err(ctx.ui.errColors.dim(`tailing ${pattern} (Ctrl-C to stop)`));
    await untilSignal();
  } finally {
    for (const sub of subs) sub.unsubscribe();
    await bus.close();
  }
  return { data: null, human: () => '', jsonText: () => '' };
};
