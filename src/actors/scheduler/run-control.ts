import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import type { EventData } from '../../contracts/events/catalog.js';
import { runStream } from '../../contracts/events/streams.js';
import { isRunId, type RunId } from '../../contracts/ids.js';
import type { EventStore } from '../../eventstore/event-store.js';
import type { Logger } from '../logger.js';
import { readCompletion } from '../run-completion.js';
import type { PreparedRun } from './prepare-run.js';
import { type RunIndex, runProgress } from './run-index.js';
import type { RunPreparer } from './run-preparer.js';
import { closeUnstartedRun } from './run-records.js';
import { cancelAction, cancelRequestedFact, reconcileAction } from './scheduler-decisions.js';
import type { SchedulerOutbox } from './scheduler-outbox.js';

/**
 * Cancel and reconcile: both hold what the scheduler knows (its index) against the log, and
 * act as `cancelAction` / `reconcileAction` decide.
 */
export class RunControl {
  constructor(
    private readonly o: {
      store: EventStore;
      clock: Clock;
      log: Logger;
      producer: string;
      index: RunIndex;
      out: SchedulerOutbox;
      preparer: RunPreparer;
      launch(prepared: PreparedRun): void;
      finished(runId: RunId): void;
    },
  ) {}

  /**
   * Cancels a run: a queued run is closed at once (`run.completed` cancelled); a started one
   * gets `run.cancel_requested` in its inbox. Throws `run_not_found` (for any string that is
   * not the id of a run in the log), `run_already_finished` (with `data.status`) for a run that
   * has completed. Returns the run's job.
   */
  async cancel(id: string, by: string, reason?: string): Promise<{ runId: RunId; jobId: string }> {
    const { store, index, out, producer } = this.o;
    const missing = () => new LilyError('run_not_found', `no run ${id}`, { runId: id });
    if (!isRunId(id)) throw missing();
    const runId = id;
    const queued = index.removeQueued(runId);
    const head = (await store.readStream(runStream(runId), { limit: 1 }))[0];
    if (!head) throw missing();
    const jobId = queued?.jobId ?? (head.data as { jobId?: string }).jobId ?? '';
    const action = cancelAction(queued ? 'requested' : await runProgress(store, runId));
    const at = this.o.clock.now();
    if (action === 'close') {
      out.publishStored(jobId, await closeUnstartedRun(store, runId, 'cancelled', at, producer));
      this.o.log.info({ event: 'run.cancelled', runId, jobId, by, reason }, 'queued run cancelled');
    } else if (action === 'request') {
      out.deliver(runId, cancelRequestedFact(runId, by, reason, at, producer));
    } else {
      const done = await readCompletion(store, runStream(runId));
      const status = (done?.data as EventData<'run.completed'> | undefined)?.status ?? 'completed';
      throw new LilyError('run_already_finished', `run ${runId} has already finished (${status})`, {
        runId,
        jobId,
        status,
      });
    }
    return { runId, jobId };
  }

  /**
   * Checks every active run against the log (after a bus reconnect: a lost `run.completed`
   * or `run.started`): completed runs are finished; runs never started get `run.started` again.
   */
  async reconcile(): Promise<void> {
    const { store, index } = this.o;
    for (const { runId, jobId } of index.activeRuns()) {
      const action = reconcileAction(await runProgress(store, runId));
      if (action === 'finish') this.o.finished(runId);
      if (action !== 'restart') continue;
      const [head] = await store.readStream(runStream(runId), { limit: 1 });
      const record = head?.data as EventData<'run.requested'> | undefined;
      if (!record) continue;
      const prepared = await this.o.preparer.prepareQueued({ runId, jobId, requested: record });
      if (prepared) this.o.launch(prepared);
    }
  }
}
