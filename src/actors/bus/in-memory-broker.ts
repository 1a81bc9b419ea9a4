import type { BusMessage } from './bus.js';
import type { HandlerRunner } from './handlers.js';
import { subjectMatches } from './subject-match.js';

/** NATS's default max_payload. */
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** One subscription as the broker sees it. */
export interface BrokerSub {
  readonly pattern: string;
  readonly queue: string | undefined;
  readonly runner: HandlerRunner;
  /** Builds the message handed to this subscription's handler (its connection answers replies). */
  readonly toMessage: (subject: string, reply: string | undefined, data: Uint8Array) => BusMessage;
  /** False once unsubscribed or closed: queued deliveries to it are dropped. */
  active: boolean;
}

interface Delivery {
  sub: BrokerSub;
  msg: BusMessage;
}

/**
 * The "server" of the in-memory bus: routes each published message to every matching plain
 * subscription and to one member of each matching queue group (round-robin per group name,
 * deterministic), and delivers asynchronously, in publish order, from a FIFO drained on
 * `setImmediate` so a handler that publishes never starves timers or I/O.
 */
export class InMemoryBroker {
  private readonly subs = new Set<BrokerSub>();
  private readonly roundRobin = new Map<string, number>();
  private queue: Delivery[] = [];
  private scheduled = false;
  private enqueued = 0;
  private delivered = 0;
  private waiters: { upTo: number; resolve: () => void }[] = [];

  constructor(readonly maxPayload: number = DEFAULT_MAX_PAYLOAD) {}

  add(sub: BrokerSub): void {
    this.subs.add(sub);
  }

  /** Stops routing new messages to `sub` (already queued deliveries stay queued). */
  remove(sub: BrokerSub): void {
    this.subs.delete(sub);
  }

  /** Routes one message; returns how many subscriptions it was queued for. */
  route(subject: string, reply: string | undefined, data: Uint8Array): number {
    const groups = new Map<string, BrokerSub[]>();
    let count = 0;
    for (const sub of this.subs) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      if (sub.queue === undefined) {
        this.enqueue(sub, subject, reply, data);
        count++;
      } else {
        const members = groups.get(sub.queue);
        if (members) members.push(sub);
        else groups.set(sub.queue, [sub]);
      }
    }
    for (const [queue, members] of groups) {
      const turn = this.roundRobin.get(queue) ?? 0;
      this.roundRobin.set(queue, turn + 1);
      this.enqueue(members[turn % members.length] as BrokerSub, subject, reply, data);
      count++;
    }
    return count;
  }

  /** True when some subscription would receive a message on `subject`. */
  hasInterest(subject: string): boolean {
    for (const sub of this.subs) if (subjectMatches(sub.pattern, subject)) return true;
    return false;
  }

  /** Resolves once everything queued before the call has been handed to its handler. */
  flush(): Promise<void> {
    const upTo = this.enqueued;
    if (this.delivered >= upTo) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  private enqueue(sub: BrokerSub, subject: string, reply: string | undefined, data: Uint8Array): void {
    // Each receiver gets its own copy, as it would from a socket.
    this.queue.push({ sub, msg: sub.toMessage(subject, reply, data.slice()) });
    this.enqueued++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.deliver());
    }
  }

  private deliver(): void {
    const batch = this.queue;
    this.queue = [];
    for (const { sub, msg } of batch) {
      this.delivered++;
      if (sub.active) sub.runner.run(msg);
    }
    const ready = this.waiters.filter((w) => w.upTo <= this.delivered);
    this.waiters = this.waiters.filter((w) => w.upTo > this.delivered);
    for (const w of ready) w.resolve();
    if (this.queue.length > 0) setImmediate(() => this.deliver());
    else this.scheduled = false;
  }
}
