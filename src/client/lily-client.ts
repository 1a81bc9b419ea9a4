import { systemClock } from '../eventstore/system-ports.js';
import { locateProject, type ProjectLocation } from '../project/find.js';
import { ApprovalsApi } from './approvals/api.js';
import { ArtifactsApi } from './artifacts/api.js';
import { BlueprintsApi } from './blueprints/api.js';
import { ClientContext } from './context.js';
import { DeploymentApi } from './deployment/api.js';
import { EventsApi } from './events/api.js';
import { osUser } from './identity.js';
import { JobsApi } from './jobs/api.js';
import type { LilyClientOptions } from './options.js';
import { ProjectApi } from './project/api.js';
import { RunsApi } from './runs/api.js';

/**
 * The one way a program talks to a Lily deployment: the CLI, the web console and users'
 * scripts all go through it. Shaped like Temporal's client: sub-APIs per noun and handles for
 * runs (`runs.submit()` returns a `RunHandle` with `follow()`, `result()`, `cancel()`, ...).
 *
 * `open` finds the project like git finds a repository (walking up from `cwd` to a directory
 * holding `.lily/`; an explicit `dir` wins) and opens nothing else: the log, NATS and engines
 * are reached when an operation needs them. Reads go straight to the log (no engine needed);
 * live operations find the running engine (a `lily up` deployment or a configured NATS), and
 * a submit with none running starts an ephemeral engine in this process that lives until
 * `close()`. Every failure is a `LilyError` with a stable code.
 *
 * @throws LilyError from its operations (each method names its codes); `open` itself never throws
 * for a missing project.
 *
 * @example
 * import { LilyClient } from 'lily';
 *
 * const client = await LilyClient.open();
 * try {
 *   const run = await client.runs.submit('hello', { input: { who: 'script' } });
 *   const result = await run.result();
 *   console.log(result.status, result.envelope?.payload);
 * } finally {
 *   await client.close();
 * }
 */
export class LilyClient {
  readonly #ctx: ClientContext;
  /** Runs: submit, list, get a handle (follow, result, cancel, resolve, rerun, replay, receipt). */
  readonly runs: RunsApi;
  /** Job specs: list, get, validate, upgrade; whether an id names a job. */
  readonly jobs: JobsApi;
  /** Human-in-the-loop approvals: list, grant, deny. */
  readonly approvals: ApprovalsApi;
  /** Blueprints: list, show, plan a job, graph the run machine. */
  readonly blueprints: BlueprintsApi;
  /** The content-addressed artifact store: list, get, lineage. */
  readonly artifacts: ArtifactsApi;
  /** The local deployment: up, down, status. */
  readonly deployment: DeploymentApi;
  /** The project directory: init, doctor, gc. */
  readonly project: ProjectApi;
  /** Live subjects of the namespace: tail a job's events, or any subject. */
  readonly events: EventsApi;

  private constructor(ctx: ClientContext) {
    this.#ctx = ctx;
    this.runs = new RunsApi(ctx);
    this.jobs = new JobsApi(ctx);
    this.approvals = new ApprovalsApi(ctx);
    this.blueprints = new BlueprintsApi(ctx);
    this.artifacts = new ArtifactsApi(ctx);
    this.deployment = new DeploymentApi(ctx);
    this.project = new ProjectApi(ctx);
    this.events = new EventsApi(ctx);
  }

  /**
   * A client for the project at `dir`, or the nearest one above `cwd`. Never throws for a
   * missing project: operations that need one throw `project_not_initialized` with a hint
   * (`project.init()`, `project.doctor()` and `blueprints` work without one).
   *
   * @example
   * const client = await LilyClient.open({ cwd: '/repo/src' }); // finds /repo/.lily
   */
  static async open(options: LilyClientOptions = {}): Promise<LilyClient> {
    const cwd = options.cwd ?? process.cwd();
    const location = locateProject({ cwd, ...(options.dir !== undefined ? { explicit: options.dir } : {}) });
    const ctx = new ClientContext({
      location,
      cwd,
      clock: options.clock ?? systemClock,
      identity: options.identity ?? osUser(),
      origin: options.origin ?? 'client',
      nats: options.nats,
      ephemeral: options.ephemeral ?? true,
      ...(options.notice ? { notice: options.notice } : {}),
    });
    return new LilyClient(ctx);
  }

  /** Where the project is (or would be), and whether it was found. */
  get location(): ProjectLocation {
    return this.#ctx.location;
  }

  /** The client's clock (what its facts are stamped with). */
  now(): number {
    return this.#ctx.clock.now();
  }

  /** True while an ephemeral engine started by this client runs (it stops with `close()`). */
  get ephemeralEngineRunning(): boolean {
    return this.#ctx.ephemeralRunning;
  }

  /**
   * Releases what the client opened: the NATS connections, the log, and an ephemeral engine
   * (which drains first: a run it was executing resumes at the next engine start). Idempotent.
   */
  close(): Promise<void> {
    return this.#ctx.close();
  }
}
