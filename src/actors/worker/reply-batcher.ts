import type { RunId } from '../../contracts/ids.js';
import type { Bus } from '../bus/bus.js';
import type { InboundEvent } from '../messages.js';
import { inboxSubject } from '../subjects.js';

/**
 * Replies bound for run inboxes, batched: every reply made in one turn of the event loop for
 * the same run goes out as one message (one `in.<runId>` publish, one append on the host).
 * A fact already waiting in the run's message is not added again: a fact's id names it (its
 * dispatch and its type), and the run keeps the first copy it gets of an id, so a second copy in
 * the same message would only cost the host a proof check. This is the common case of a quick
 * step, whose `step.started` is re-sent with its end before the first copy has left.
 */
export class ReplyBatcher {
  readonly #pending = new Map<RunId, InboundEvent[]>();
  #scheduled = false;
  #connected = true;
  readonly #off: () => void;

  constructor(
    private readonly bus: Bus,
    private readonly ns: string,
  ) {
    // NATS drops publishes made while disconnected: hold replies until the connection is back.
    this.#off = bus.onStatus((s) => {
      if (s.type === 'disconnected' || s.type === 'reconnecting') this.#connected = false;
      if (s.type === 'reconnected') {
        this.#connected = true;
        this.flush();
      }
    });
  }

  close(): void {
    this.#off();
  }

  send(runId: RunId, events: readonly InboundEvent[]): void {
    let list = this.#pending.get(runId);
    if (!list) {
      list = [];
      this.#pending.set(runId, list);
    }
    for (const e of events) if (!list.some((p) => p.id === e.id)) list.push(e);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    if (!this.#connected) return;
    for (const [runId, events] of this.#pending) {
      if (this.bus.isClosed()) break;
      this.bus.publish(inboxSubject(this.ns, runId), { runId, events });
    }
    this.#pending.clear();
  }
}
