import type { RetentionReport } from '../../eventstore/retention.js';
import type { InitResult } from '../../project/init.js';
import type { ClientContext } from '../context.js';
import type { DoctorReport } from './doctor.js';

/** The project directory itself: create it, check it, apply its retention. */
export class ProjectApi {
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Creates `.lily/` (config, policy, an example job, .gitignore) in the client's explicit
   * `dir`, else in the project found by walking up, else in `cwd`. With `example`, the files of
   * a pack's example project instead (`hxo`: the `@lily/hxo` package's). Existing files are
   * kept unless `force`. Never deletes. Throws `example_not_found`.
   *
   * @example
   * const { created } = await (await LilyClient.open({ dir: 'demo' })).project.init();
   */
  async init(o: { force?: boolean; example?: string } = {}): Promise<InitResult> {
    const { initProject } = await import('../../project/init.js');
    return initProject(this.#ctx.location.dir, {
      force: o.force === true,
      ...(o.example === undefined ? {} : { example: o.example }),
    });
  }

  /**
   * Environment and project checks, each with what to do (works outside a project too).
   *
   * @example
   * const { ok, checks } = await client.project.doctor();
   */
  async doctor(): Promise<DoctorReport> {
    const { runDoctor } = await import('./doctor.js');
    return runDoctor(this.#ctx.location);
  }

  /**
   * Retention: deletes the projections of expired runs and the blobs nothing kept refers to
   * (events are never deleted); `dryRun` only plans. Failed deletions are in `errors`.
   * Throws `project_not_initialized`, `config_invalid`.
   *
   * @example
   * const report = await client.project.gc({ dryRun: true });
   */
  async gc(o: { dryRun?: boolean } = {}): Promise<RetentionReport> {
    const project = await this.#ctx.project();
    const { collectGarbage } = await import('./gc.js');
    return collectGarbage(project, await this.#ctx.stores(), this.#ctx.clock, o.dryRun === true);
  }
}
