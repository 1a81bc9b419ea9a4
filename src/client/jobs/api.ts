import type { JobSpec } from '../../blueprints/jobs/spec.js';
import type { ClientContext } from '../context.js';
import type { JobSchedule } from './schedule.js';
import type { JobUpgrade } from './upgrade.js';
import type { JobEntry, JobValidation } from './validate.js';

/** Job specs under `.lily/jobs/`: read, validate, upgrade. No engine needed. */
export class JobsApi {
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Every job with its target and trigger; a job whose spec is invalid is listed with its
   * error (the list never fails for one bad file). Throws `project_not_initialized`,
   * `config_invalid`, `policy_invalid`, `pack_invalid`.
   *
   * @example
   * const { jobs } = await client.jobs.list();
   */
  async list(): Promise<{ dir: string; jobs: JobEntry[] }> {
    const project = await this.#ctx.project();
    const { jobEntry } = await import('./validate.js');
    return { dir: project.paths.jobs, jobs: (await project.jobs.loadAll()).map(jobEntry) };
  }

  /**
   * One job spec with its defaults filled in. Throws `job_not_found`, `job_invalid_spec`.
   *
   * @example
   * const { spec } = await client.jobs.get('hello');
   */
  async get(id: string): Promise<{ id: string; file: string; spec: JobSpec }> {
    const project = await this.#ctx.project();
    const { spec, file } = await project.jobs.load(id);
    return { id: spec.id, file, spec };
  }

  /**
   * True when `.lily/jobs/<id>.job.yaml` exists (valid or not). Cheap: reads the directory only.
   *
   * @example
   * if (await client.jobs.exists('hello')) await client.runs.submit('hello');
   */
  async exists(id: string): Promise<boolean> {
    if (!this.#ctx.location.found) return false;
    const { fsJobSource } = await import('../../project/fs-job-source.js');
    return (await fsJobSource(this.#ctx.paths().jobs).list()).includes(id);
  }

  /**
   * Validates one job or every job: spec, target, bindings, compile (what a run would do
   * before anything runs). Invalid jobs are results with their error; a named job that does
   * not exist throws `job_not_found`.
   *
   * @example
   * const { jobs } = await client.jobs.validate();
   * const bad = jobs.filter((j) => !j.ok);
   */
  async validate(id?: string): Promise<{ dir: string; jobs: JobValidation[] }> {
    const project = await this.#ctx.project();
    const { loadOne, validateLoaded } = await import('./validate.js');
    const loaded = id === undefined ? await project.jobs.loadAll() : [await loadOne(project, id)];
    return { dir: project.paths.jobs, jobs: loaded.map((r) => validateLoaded(project, r)) };
  }

  /**
   * Moves a job spec off a deprecated job kind (or an older pinned blueprint version): the new
   * text, and with `write` the file rewritten in place (comments and layout kept). Throws
   * `job_not_found`, `job_bindings_invalid` (the new blueprint refuses the bindings),
   * `job_upgrade_ambiguous`.
   *
   * @example
   * const { changed, after } = await client.jobs.upgrade('docs', { write: false });
   */
  async upgrade(id: string, o: { write?: boolean } = {}): Promise<JobUpgrade> {
    const project = await this.#ctx.project();
    const { upgradeJobSpec } = await import('./upgrade.js');
    return upgradeJobSpec(project, id, { write: o.write === true });
  }

  /**
   * A job's schedule: its trigger, the next `count` fire times (default 5; none for a manual
   * job) after the client's clock, and the newest `recent` ticks the scheduler decided (default
   * 10). Throws `job_not_found`, `job_invalid_spec`.
   *
   * @example
   * const { next } = await client.jobs.schedule('nightly', { count: 3 });
   */
  async schedule(id: string, o: { count?: number; recent?: number } = {}): Promise<JobSchedule> {
    const project = await this.#ctx.project();
    const { spec } = await project.jobs.load(id);
    const { nextFireTimes, recentTicks } = await import('./schedule.js');
    const { events } = await this.#ctx.stores();
    return {
      jobId: spec.id,
      trigger: spec.trigger,
      next: nextFireTimes(spec.trigger, this.#ctx.clock.now(), Math.max(0, Math.min(o.count ?? 5, 100))),
      recent: await recentTicks(events, spec.id, Math.max(0, Math.min(o.recent ?? 10, 1000))),
    };
  }
}
