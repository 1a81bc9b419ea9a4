import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isJobId, parseRunId, type RunId } from '../../contracts/ids.js';
import { storedEventBytes } from '../../eventstore/event-bytes.js';
import type { Bus, BusMessage } from '../bus/bus.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';
import type { InboundEvent } from '../messages.js';
import type { RunInbox } from '../runtime/run-inbox.js';
import { eventSubject } from '../subjects.js';

/** Where the scheduler sends: the run host (in-process), event subjects, request replies. Best effort: the log is the truth. */
export class SchedulerOutbox {
  constructor(
    private readonly bus: Bus,
    private readonly ns: string,
    private readonly log: Logger,
    private readonly inbox: RunInbox,
  ) {}

  /** A fact for the run host, in-process. A lost start is re-sent by `reconcile`, a lost timer by the host. */
  deliver(runId: RunId, event: InboundEvent): void {
    this.inbox
      .deliver(runId, [event])
      .catch((e) =>
        this.log.error({ event: 'scheduler.deliver_failed', runId, type: event.type, error: errorInfo(e) }),
      );
  }

  /** Republishes events the scheduler appended on their `evt` subjects, as the log stored them (as the run host does). */
  publishStored(jobId: string, events: readonly StoredEvent[]): void {
    const job = isJobId(jobId) ? jobId : null;
    for (const e of events) {
      try {
        const runId = e.stream.startsWith('run/') ? parseRunId(e.stream.slice(4)) : null;
        this.bus.publishBytes(eventSubject(this.ns, job, runId, e.type), storedEventBytes(e));
      } catch (err) {
        this.log.warn({ event: 'scheduler.publish_failed', stream: e.stream, error: errorInfo(err) });
      }
    }
  }

  /** Answers a request with what `fn` returns, or with the error that refused it. */
  async reply(
    raw: BusMessage,
    fn: () => Promise<{ runId: RunId; jobId: string; existing?: true; warnings?: string[] }>,
  ): Promise<void> {
    try {
      raw.respond({ ok: true, ...(await fn()) });
    } catch (e) {
      const error = errorInfo(e);
      this.log.warn({ event: 'run.request_refused', error }, `request refused: ${error.message}`);
      raw.respond({ ok: false, error });
    }
  }
}
