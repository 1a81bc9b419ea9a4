/**
 * The soak's load: run requests over the bus (`run.request` on `cmd.sched`) at a steady rate
 * with a bound on runs in flight, and the bookkeeping of which runs are final. Completion is
 * learnt from `run.completed` events on the bus and, since publishes made while NATS is down
 * are dropped, confirmed from the log (the truth) by a periodic reconcile.
 */
import type { Bus } from '../../src/actors/bus/bus.js';
import { runRequestReplySchema } from '../../src/actors/messages.js';
import { eventTypePattern, schedSubject } from '../../src/actors/subjects.js';
import { runStream, type StoredEvent } from '../../src/contracts/index.js';
import type { EventStore } from '../../src/eventstore/event-store.js';
import { sleep } from './deployment.js';

const NS = 'default';

export interface TrackedRun {
  jobId: string;
  seq: number;
  ackedAt: number;
  status?: string;
}

/** A seeded PRNG (mulberry32): the same seed picks the same jobs and chaos moments. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const pickWeighted = (weights: Record<string, number>, random: () => number): string => {
  const entries = Object.entries(weights);
  let r = random() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [key, w] of entries) {
    r -= w;
    if (r < 0) return key;
  }
  return entries[entries.length - 1]?.[0] as string;
};

/** Runs requested by the soak and whether each is final. */
export class RunTracker {
  readonly runs = new Map<string, TrackedRun>();
  readonly open = new Set<string>();
  requestsSent = 0;
  requestsRetried = 0;
  /** Requests whose reply never came (the run may exist without our knowing its id). */
  requestsTimedOut = 0;
  requestErrors: Record<string, number> = {};
  pending = 0;
  skippedTicks = 0;

  constructor(
    private readonly bus: Bus,
    private readonly events: EventStore,
  ) {
    bus.subscribe(eventTypePattern(NS, 'run.completed'), (m) => {
      const e = m.json() as StoredEvent;
      this.#final(e.stream.slice('run/'.length), (e.data as { status?: string }).status ?? 'unknown');
    });
  }

  inFlight(): number {
    return this.pending + this.open.size;
  }

  /** Runs acknowledged and final. */
  finished(): number {
    let n = 0;
    for (const r of this.runs.values()) if (r.status !== undefined) n += 1;
    return n;
  }

  #final(runId: string, status: string): void {
    const run = this.runs.get(runId);
    if (!run || run.status !== undefined) return;
    run.status = status;
    this.open.delete(runId);
  }

  /**
   * Requests one run, retrying (same `seq`, same idempotency key `soak-<seq>`) until accepted
   * or `giveUpAt`: a retry after a lost reply finds the run the first attempt started, so no
   * seq ever has two runs (`requestsWithSeveralRuns` is 0 by construction).
   */
  async submit(jobId: string, seq: number, giveUpAt: number): Promise<void> {
    this.pending += 1;
    try {
      for (let tries = 0; Date.now() < giveUpAt; tries++) {
        if (tries > 0) {
          this.requestsRetried += 1;
          await sleep(500);
        }
        this.requestsSent += 1;
        const reply = await this.bus
          .requestTyped(
            schedSubject(NS),
            { type: 'run.request', jobId, input: { soakSeq: seq }, idempotencyKey: `soak-${seq}` },
            runRequestReplySchema,
            {
              timeoutMs: 10_000,
            },
          )
          .catch((e: unknown) => {
            const code = (e as { code?: string }).code ?? 'error';
            if (code === 'bus_timeout') this.requestsTimedOut += 1;
            return { ok: false as const, error: { code, message: String(e), data: {} } };
          });
        if (reply.ok) {
          this.runs.set(reply.runId, { jobId, seq, ackedAt: Date.now() });
          this.open.add(reply.runId);
          return;
        }
        this.requestErrors[reply.error.code] = (this.requestErrors[reply.error.code] ?? 0) + 1;
      }
    } finally {
      this.pending -= 1;
    }
  }

  /** Reads the log of open runs acked more than `minAgeMs` ago and closes those that are final. */
  async reconcile(minAgeMs: number): Promise<Map<string, StoredEvent[]>> {
    const stillOpen = new Map<string, StoredEvent[]>();
    const now = Date.now();
    for (const runId of [...this.open]) {
      const run = this.runs.get(runId);
      if (!run || now - run.ackedAt < minAgeMs) continue;
      const events = await this.events.readStream(runStream(runId as never));
      const done = events.findLast((e) => e.type === 'run.completed');
      if (done) this.#final(runId, (done.data as { status?: string }).status ?? 'unknown');
      else stillOpen.set(runId, events);
    }
    return stillOpen;
  }
}

export interface LoadOptions {
  ratePerSec: number;
  maxInFlight: number;
  weights: Record<string, number>;
  random: () => number;
  until: number;
  /** When retrying requests stops (after the load phase, to drain). */
  giveUpAt: number;
}

/** Submits runs at `ratePerSec` until `until`, skipping a tick while `maxInFlight` are in flight. */
export const generateLoad = async (
  tracker: RunTracker,
  o: LoadOptions,
  firstSeq: number,
): Promise<number> => {
  const interval = 1000 / o.ratePerSec;
  let seq = firstSeq;
  let next = Date.now();
  while (Date.now() < o.until) {
    if (tracker.inFlight() < o.maxInFlight) {
      seq += 1;
      void tracker.submit(pickWeighted(o.weights, o.random), seq, o.giveUpAt);
    } else {
      tracker.skippedTicks += 1;
    }
    next += interval;
    await sleep(Math.max(0, next - Date.now()));
  }
  return seq;
};

/**
 * Dispatches of non-idempotent steps whose outcome is unknown (timed out or found in flight
 * after a crash) and that nobody answered: these wait for an operator (`lily runs resolve`).
 */
export const indeterminateDispatches = (events: readonly StoredEvent[]): string[] => {
  const nonIdempotent = new Set<string>();
  const flagged = new Set<string>();
  const answered = new Set<string>();
  for (const e of events) {
    const d = e.data as { dispatchId?: string; idempotent?: boolean };
    if (!d.dispatchId) continue;
    if (e.type === 'step.dispatched' && d.idempotent === false) nonIdempotent.add(d.dispatchId);
    else if (e.type === 'step.timed_out' || e.type === 'step.indeterminate') flagged.add(d.dispatchId);
    else if (e.type === 'step.succeeded' || e.type === 'step.failed') answered.add(d.dispatchId);
  }
  return [...nonIdempotent].filter((id) => flagged.has(id) && !answered.has(id));
};
