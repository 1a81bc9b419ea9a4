import { LilyError } from '../../contracts/errors.js';
import type { RunId } from '../../contracts/ids.js';
import { errorInfo } from '../error-info.js';
import { envFingerprint } from './env-fingerprint.js';
import {
  type PrepareDeps,
  type PreparedRun,
  prepareRun,
  type RunRequest,
  requestFromRecord,
} from './prepare-run.js';
import type { QueuedRun } from './run-index.js';
import { closeUnstartedRun } from './run-records.js';
import type { SchedulerOptions } from './scheduler-options.js';
import type { SchedulerOutbox } from './scheduler-outbox.js';

/**
 * Prepares runs for the scheduler (`prepareRun` with the project's jobs, catalog and env
 * fingerprint). A queued run that no longer prepares (its job changed or vanished while it
 * waited, or across a restart) is closed as failed, so every requested run reaches a final
 * state in its stream.
 */
export class RunPreparer {
  #deps: PrepareDeps | undefined;

  constructor(
    private readonly o: SchedulerOptions,
    private readonly out: SchedulerOutbox,
    private readonly producer: string,
  ) {}

  /** Computes the env fingerprint (it reads the lockfile): needed before anything is prepared. */
  async init(): Promise<void> {
    const o = this.o;
    const env = o.env ?? (await envFingerprint({ lilyVersion: o.kernelVersion, projectDir: o.projectDir }));
    this.#deps = {
      jobs: o.jobs,
      catalog: o.catalog,
      store: o.store,
      defaultPrincipal: o.policy?.default_principal ?? 'operator',
      kernelVersion: o.kernelVersion,
      env,
    };
  }

  /** `prepareRun`, with its refusal codes; `internal_error` before `init`. */
  async prepare(runId: RunId, req: RunRequest): Promise<PreparedRun> {
    if (!this.#deps) throw new LilyError('internal_error', 'the scheduler has not been started', {});
    return prepareRun(this.#deps, runId, req);
  }

  /** Prepares a run recorded earlier; undefined (and the run closed as failed) when it no longer prepares. */
  async prepareQueued(run: QueuedRun): Promise<PreparedRun | undefined> {
    try {
      return await this.prepare(run.runId, requestFromRecord(run.requested));
    } catch (e) {
      const error = errorInfo(e);
      this.o.log.warn(
        { event: 'run.start_refused', runId: run.runId, jobId: run.jobId, error },
        `queued run cannot start: ${error.message}`,
      );
      const at = this.o.clock.now();
      const events = await closeUnstartedRun(this.o.store, run.runId, 'failed', at, this.producer, error);
      this.out.publishStored(run.jobId, events);
      return undefined;
    }
  }
}
