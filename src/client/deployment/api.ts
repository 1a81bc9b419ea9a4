import { LilyError } from '../../contracts/errors.js';
import type { IssuedCredentialFile } from '../../deployment/issue-credential.js';
import type { ClientContext } from '../context.js';
import type { DeploymentDown } from './down.js';
import type { Refusal } from './refusals.js';
import type { DeploymentStatus } from './status.js';
import type { DeploymentUp } from './up.js';

/** Default time `up` waits for every process to answer sys.ping. */
const DEFAULT_UP_TIMEOUT_MS = 30_000;
/** Default time `down` leaves between SIGTERM and SIGKILL. */
const DEFAULT_GRACE_MS = 10_000;

const integer = (name: string, value: number | undefined, fallback: number, max: number): number => {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new LilyError('usage_invalid', `${name} must be an integer from 0 to ${max}, not ${value}`, {
      reason: name,
      value,
    });
  }
  return value;
};

/**
 * The local deployment of the project (`lily up`): the managed nats-server, one engine and
 * worker daemons, recorded in `.lily/deployment.json`.
 */
export class DeploymentApi {
  readonly #ctx: ClientContext;

  /** @internal */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /**
   * Starts the deployment and resolves once every process answers sys.ping (`alreadyUp` when
   * it was running: nothing is started). `workers` defaults to the config's, 0 to 64 (0: the
   * engine runs the executors). Throws `usage_invalid`, `nats_server_missing`,
   * `nats_server_start_failed`, `deployment_start_failed` (everything started is stopped again).
   *
   * @example
   * const up = await client.deployment.up({ workers: 2 });
   */
  async up(o: { workers?: number; timeoutMs?: number } = {}): Promise<DeploymentUp> {
    const s = await this.#ctx.settings();
    const workers = integer('--workers', o.workers, s.config.workers, 64);
    const timeoutMs = integer('--timeout-ms', o.timeoutMs, DEFAULT_UP_TIMEOUT_MS, 600_000);
    const { deploymentUp } = await import('./up.js');
    return deploymentUp(s, { workers, timeoutMs, nats: this.#ctx.nats, clock: this.#ctx.clock });
  }

  /**
   * Stops the deployment (workers, engine, managed nats-server; SIGKILL after `graceMs`) and
   * reports what each process did. Never signals a process that is not provably ours.
   * Throws `usage_invalid` for a negative grace.
   *
   * @example
   * const { processes } = await client.deployment.down({ graceMs: 2_000 });
   */
  async down(o: { graceMs?: number } = {}): Promise<DeploymentDown> {
    const paths = this.#ctx.paths();
    const graceMs = integer('--grace-ms', o.graceMs, DEFAULT_GRACE_MS, Number.MAX_SAFE_INTEGER);
    const { deploymentDown } = await import('./down.js');
    return deploymentDown(paths, graceMs);
  }

  /**
   * Each process with its health, pid, uptime, runs in flight and executors.
   *
   * @example
   * const { up, healthy } = await client.deployment.status();
   */
  async status(): Promise<DeploymentStatus> {
    const s = await this.#ctx.settings();
    const { deploymentStatus } = await import('./status.js');
    return deploymentStatus(s, () => this.#ctx.clock.now());
  }

  /**
   * Writes a standard NATS `.creds` file for a process elsewhere (`engine`, `worker`,
   * `operator`, `observer`), signed by the managed deployment's project account: the server
   * accepts it at once. Throws `usage_invalid` (unknown role or executor, bad duration, an
   * existing file without `force`, a project on an external NATS), `project_not_initialized`.
   *
   * @example
   * const issued = await client.deployment.issueCredential({ role: 'worker', out: 'w.creds' });
   */
  async issueCredential(o: {
    role: string;
    out: string;
    name?: string;
    expires?: string;
    executors?: readonly string[];
    force?: boolean;
  }): Promise<IssuedCredentialFile> {
    const { issueCredentialFile } = await import('../../deployment/issue-credential.js');
    return issueCredentialFile({
      ...o,
      dir: this.#ctx.location.dir,
      out: this.#ctx.resolvePath(o.out),
      now: () => this.#ctx.clock.now(),
    });
  }

  /**
   * Runs a worker in this process, connected with its own credential (`creds`, else the
   * project's worker credential), until `stop()`; its log (JSON lines) goes to stderr. Throws
   * `usage_invalid` (a credential of another role), `config_invalid` (an unreadable, expired or
   * other-namespace credential), `bus_unavailable`, `namespace_in_use`.
   *
   * @example
   * const worker = await client.deployment.startWorker({ creds: 'w.creds' });
   * process.once('SIGTERM', () => void worker.stop());
   */
  async startWorker(
    o: { creds?: string; id?: string; concurrency?: number } = {},
  ): Promise<ForegroundWorker> {
    const { createLogger } = await import('../../actors/logger.js');
    const { startStandaloneWorker } = await import('../../deployment/standalone-worker.js');
    const log = createLogger({ name: 'worker' });
    const worker = await startStandaloneWorker({
      dir: this.#ctx.location.dir,
      log,
      ...(this.#ctx.nats ? { nats: this.#ctx.nats } : {}),
      ...(o.creds === undefined ? {} : { creds: this.#ctx.resolvePath(o.creds) }),
      ...(o.id === undefined ? {} : { id: o.id }),
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    });
    return {
      id: worker.id,
      namespace: worker.namespace,
      url: worker.url,
      executors: worker.worker.names(),
      async stop(reason = 'stop') {
        log.info({ event: 'worker.stopping', reason }, 'worker stopping');
        await worker.stop();
        await log.flush();
      },
    };
  }
  /**
   * Messages the project's processes refused (a bad signature, an unknown run, a request the
   * scheduler turned down, ...), read from the end of each log in `.lily/logs/`, newest first:
   * `total` counts every one found, `refusals` holds the newest `limit` (default 50).
   *
   * @example
   * const { total, refusals } = await client.deployment.refusals({ limit: 10 });
   */
  async refusals(o: { limit?: number } = {}): Promise<{ total: number; refusals: Refusal[] }> {
    const paths = this.#ctx.paths();
    const limit = integer('limit', o.limit, 50, 10_000);
    const [{ readdir }, { join }, { readRefusals }] = await Promise.all([
      import('node:fs/promises'),
      import('node:path'),
      import('./refusals.js'),
    ]);
    const files = (await readdir(paths.logs).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.log') && f !== 'nats-server.log')
      .sort();
    const logs = files.map((f) => ({ process: f.slice(0, -'.log'.length), file: join(paths.logs, f) }));
    return readRefusals(logs, limit);
  }
}

/** A worker running in the client's process (`lily worker`). */
export interface ForegroundWorker {
  id: string;
  namespace: string;
  url: string;
  executors: string[];
  /** Finishes the dispatches in hand, then disconnects. */
  stop(reason?: string): Promise<void>;
}
