import type { Plan, PlanStep } from '../../blueprints/plan.js';
import { type EventData, validateEventData } from '../../contracts/events/catalog.js';
import { runStream } from '../../contracts/events/streams.js';
import type { RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';

/** What the gate trusts about a run: its `run.started`, from the log (never from the bus message). */
export interface RunFacts {
  runId: RunId;
  jobId: string;
  principal: string;
  dryRun: boolean;
  planHash: string;
  inputHash: string;
  plan: Plan;
  steps: ReadonlyMap<string, PlanStep>;
}

interface PlanEntry {
  plan: Plan;
  steps: Map<string, PlanStep>;
}

/**
 * Reads a run's `run.started` from its stream, with two caches: plans by plan hash (shared by
 * every run of a job) and facts by run id (the runs in flight: the gate forgets a run when it
 * finishes; bounded all the same, oldest dropped first, and read again from the log if needed).
 */
export class RunFactsCache {
  readonly #plans = new Map<string, PlanEntry>();
  readonly #runs = new Map<RunId, RunFacts>();
  readonly #store: EventStore;
  readonly #max: number;

  constructor(store: EventStore, maxRuns = 10_000) {
    this.#store = store;
    this.#max = maxRuns;
  }

  /** The run's facts, or undefined when it has no `run.started` in the log. */
  async get(runId: RunId): Promise<RunFacts | undefined> {
    const cached = this.#runs.get(runId);
    if (cached) return cached;
    const stream = runStream(runId);
    let head = await this.#store.readStream(stream, { limit: 5 });
    let found = head.find((e) => e.type === 'run.started');
    if (!found && head.length === 5) {
      head = await this.#store.readStream(stream);
      found = head.find((e) => e.type === 'run.started');
    }
    if (!found) return undefined;
    return this.#keep(runId, validateEventData<'run.started'>('run.started', found.data));
  }

  /** Records a run's facts from its `run.started` (a co-located host hands it over before it is durable). */
  prime(runId: RunId, started: EventData<'run.started'>): void {
    if (!this.#runs.has(runId)) this.#keep(runId, started);
  }

  /** Forgets a run (it completed). */
  forget(runId: RunId): void {
    this.#runs.delete(runId);
  }

  /** Runs whose facts are cached (at most `maxRuns`). */
  get size(): number {
    return this.#runs.size;
  }

  #keep(runId: RunId, started: EventData<'run.started'>): RunFacts {
    const facts = this.#facts(runId, started);
    this.#runs.set(runId, facts);
    if (this.#runs.size > this.#max) {
      const oldest = this.#runs.keys().next().value;
      if (oldest !== undefined) this.#runs.delete(oldest);
    }
    return facts;
  }

  #facts(runId: RunId, d: EventData<'run.started'>): RunFacts {
    let entry = this.#plans.get(d.planHash);
    if (!entry) {
      const plan = d.plan as unknown as Plan;
      entry = { plan, steps: new Map(plan.steps.map((s) => [s.id, s])) };
      this.#plans.set(d.planHash, entry);
    }
    return {
      runId,
      jobId: d.jobId,
      principal: d.principal,
      dryRun: d.dryRun,
      planHash: d.planHash,
      inputHash: d.inputHash,
      plan: entry.plan,
      steps: entry.steps,
    };
  }
}
