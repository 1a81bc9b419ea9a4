import type { EventData } from '../../contracts/events/catalog.js';
import { jobStream, runStream } from '../../contracts/events/streams.js';
import { isRunId, type JobId, type RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import { readCompletion } from '../run-completion.js';

/**
 * `require_dry_run` proofs, from the log only: a run of the same job whose `run.started` has
 * `dryRun: true`, the same plan hash and the same input hash, that dry-ran every step itself
 * (not a fork that copied steps from a parent or ran only gates), and whose `run.completed`
 * has status `succeeded`. A dry run skips gates with side effects: the proof covers the plan
 * and the input, never what a gate would have said. Candidates come from the job's run index
 * (`job/<id>`), newest first. Positive answers are cached (a succeeded run stays succeeded);
 * negative ones are not.
 */
export class DryRunProofs {
  readonly #proven = new Map<string, string>();
  readonly #store: EventStore;

  constructor(store: EventStore) {
    this.#store = store;
  }

  async proven(jobId: string, planHash: string, inputHash: string): Promise<boolean> {
    return (await this.proof(jobId, planHash, inputHash)) !== undefined;
  }

  /** The run id of the newest succeeded dry run of this plan and input, or undefined. */
  async proof(jobId: string, planHash: string, inputHash: string): Promise<string | undefined> {
    const key = `${jobId}\n${planHash}\n${inputHash}`;
    const cached = this.#proven.get(key);
    if (cached !== undefined) return cached;
    const index = await this.#store.readStream(jobStream(jobId as JobId));
    for (let i = index.length - 1; i >= 0; i--) {
      const e = index[i];
      if (e?.type !== 'run.requested') continue;
      const requested = e.data as EventData<'run.requested'>;
      if (!requested.dryRun || !isRunId(requested.runId)) continue;
      if (await this.#succeededDryRun(requested.runId, planHash, inputHash)) {
        this.#proven.set(key, requested.runId);
        return requested.runId;
      }
    }
    return undefined;
  }

  async #succeededDryRun(runId: RunId, planHash: string, inputHash: string): Promise<boolean> {
    const stream = runStream(runId);
    const last = await readCompletion(this.#store, stream);
    if ((last?.data as EventData<'run.completed'> | undefined)?.status !== 'succeeded') return false;
    const head = await this.#store.readStream(stream, { limit: 5 });
    const started = head.find((e) => e.type === 'run.started')?.data as EventData<'run.started'> | undefined;
    if (started?.dryRun !== true || started.planHash !== planHash || started.inputHash !== inputHash)
      return false;
    // A fork's memoized steps come from its parent, and a gates-only fork runs no step (and, dry,
    // skips its gates): it dry-ran nothing that a real run would do, so it proves nothing.
    const copied = started.parent?.gatesOnly === true || Object.keys(started.memo ?? {}).length > 0;
    return !copied;
  }
}
