import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineProjector } from '../actors/compose-engine.js';
import { errorInfo } from '../actors/error-info.js';
import type { Logger } from '../actors/logger.js';
import { probe, probing } from '../contracts/probe.js';
import { DEFAULT_POLL_INTERVAL_MS } from '../eventstore/lmdb-event-store.js';
import type { FromProjectorThread, ProjectorThreadData } from './projector-thread-protocol.js';

export interface ProjectorThreadOptions {
  /** `.lily/db`. */
  dbPath: string;
  /** `.lily/runs`. */
  runsDir: string;
  checkpointFile: string;
  /** The projector's logger: the thread's entries are written through it. */
  log: Logger;
  /** How often the thread looks for the engine's appends (ms; default the store's, 20). */
  pollIntervalMs?: number;
  /** At stop, how long the thread may take to project what the log holds (default 10 s). */
  drainMs?: number;
  /** First delay before a thread that ended is started again; doubles up to 10 s (default 100 ms). */
  restartDelayMs?: number;
  /** Called when a run's receipts are written (in the engine's thread). */
  onProjected?: (runId: string, dir: string) => void;
}

const MAX_RESTART_DELAY_MS = 10_000;
/** How long stop waits for the thread beyond its drain before it ends it. */
const STOP_GRACE_MS = 5_000;

/** tsx's ESM API (`register()`), found from this file rather than the working directory. */
const tsxApi = (): string => {
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = JSON.parse(readFileSync(pkg, 'utf8')).exports['./esm/api'].import.default as string;
  return new URL(exports, pathToFileURL(pkg)).href;
};

/** The thread's entry point: the built `.js`, or the `.ts` source under tsx (tests). */
const spawnThread = (workerData: ProjectorThreadData): Worker => {
  const js = fileURLToPath(new URL('./projector-thread-main.js', import.meta.url));
  if (existsSync(js)) return new Worker(js, { workerData });
  const ts = pathToFileURL(fileURLToPath(new URL('./projector-thread-main.ts', import.meta.url))).href;
  const boot = `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(boot, { eval: true, workerData });
};

/**
 * The engine process's projector, in a `worker_threads` thread of its own
 * (projector-thread-main.ts): receipts are written off the engine's event loop, and the log is
 * read through the thread's own handle on the same LMDB environment. Logs, the position and
 * probe points come back as messages. A thread that ends on its own (a crash, a failed
 * subscription) is logged and started again after a delay; it resumes from its checkpoint, so
 * no receipt is lost (some are written twice, which is harmless). `stop()` lets the thread
 * project what the log holds, save its checkpoint and close.
 *
 * @example
 * const projector = new ProjectorThread({ dbPath, runsDir, checkpointFile, log });
 * await projector.start();
 */
export class ProjectorThread implements EngineProjector {
  readonly #o: ProjectorThreadOptions;
  #thread: Worker | undefined;
  #position = 0;
  #restarts = 0;
  #running = false;
  #stopping: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #delay: number;

  constructor(options: ProjectorThreadOptions) {
    this.#o = options;
    this.#delay = options.restartDelayMs ?? 100;
  }

  /** Starts the thread; resolves once it follows the log, rejects when it cannot start. */
  async start(): Promise<void> {
    await this.#spawn();
    this.#running = true;
  }

  /** The global position projected so far (as last reported by the thread). */
  position(): number {
    return this.#position;
  }

  /** How many times a thread that ended on its own was started again. */
  restarts(): number {
    return this.#restarts;
  }

  /** The thread now running, if any (tests end it to see it come back). */
  get thread(): Worker | undefined {
    return this.#thread;
  }

  #spawn(): Promise<void> {
    const o = this.#o;
    const thread = spawnThread({
      dbPath: o.dbPath,
      runsDir: o.runsDir,
      checkpointFile: o.checkpointFile,
      pollIntervalMs: o.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      drainMs: o.drainMs ?? 10_000,
      probes: probing(),
      projected: o.onProjected !== undefined,
    });
    this.#thread = thread;
    return new Promise((resolve, reject) => {
      let started = false;
      let failure: unknown;
      thread.on('message', (m: FromProjectorThread) => {
        if (m.type === 'started') {
          started = true;
          this.#position = m.position;
          this.#delay = o.restartDelayMs ?? 100;
          resolve();
        } else this.#receive(m);
      });
      thread.on('error', (e) => {
        failure = e;
        o.log.error({ event: 'projector.thread_failed', error: errorInfo(e) }, 'projector thread failed');
      });
      thread.on('exit', (code) => {
        if (this.#thread === thread) this.#thread = undefined;
        if (!started) reject(failure ?? new Error(`the projector thread exited (${code}) before it started`));
        this.#ended(code);
      });
    });
  }

  #receive(m: Exclude<FromProjectorThread, { type: 'started' }>): void {
    switch (m.type) {
      case 'position':
      case 'stopped':
        this.#position = m.position;
        return;
      case 'projected':
        this.#o.onProjected?.(m.runId, m.dir);
        return;
      case 'log':
        if (m.msg === undefined) this.#o.log[m.level](m.fields);
        else this.#o.log[m.level](m.fields, m.msg);
        return;
      case 'probe':
        probe(m.point, m.key, m.at - performance.timeOrigin);
        return;
    }
  }

  #ended(code: number): void {
    if (this.#stopping || !this.#running) return;
    const delayMs = this.#delay;
    this.#delay = Math.min(MAX_RESTART_DELAY_MS, this.#delay * 2);
    this.#o.log.error(
      { event: 'projector.thread_exited', code, restarts: this.#restarts, delayMs },
      'projector thread ended; starting it again from its checkpoint',
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping) return;
      this.#restarts += 1;
      // A thread that cannot start ends, and that exit schedules the next attempt.
      this.#spawn().catch(() => undefined);
    }, delayMs);
  }

  /** Projects what the log holds (up to `drainMs`), saves the checkpoint and ends the thread. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    const thread = this.#thread;
    if (!thread) return;
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
    thread.postMessage({ type: 'stop' });
    const grace = (this.#o.drainMs ?? 10_000) + STOP_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), grace);
    });
    const outcome = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.#o.log.error(
        { event: 'projector.stop_timeout', graceMs: grace },
        'projector thread did not stop; ended',
      );
      await thread.terminate();
    }
  }
}
