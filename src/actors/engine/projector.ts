import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isRunId, type RunId } from '../../contracts/ids.js';
import { probe } from '../../contracts/probe.js';
import type { EventStore, Subscription } from '../../eventstore/event-store.js';
import { ownString } from '../../eventstore/own-string.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../eventstore/private-files.js';
import { writeReceipts } from '../../eventstore/write-receipts.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';

/** Answers of workers that may arrive after a run ended (the dispatches it cancelled). */
const LATE_ANSWERS: ReadonlySet<string> = new Set([
  'step.succeeded',
  'step.failed',
  'step.indeterminate',
  'gate.passed',
  'gate.failed',
]);
/** Every type the projector looks at: the store passes over the others without decoding them. */
const PROJECTED_TYPES: ReadonlySet<string> = new Set(['run.completed', 'step.cancelled', ...LATE_ANSWERS]);
/**
 * Completed runs whose late answers re-project their receipts: the latest ones (a worker
 * answers a cancel within its step's grace); an answer for a run older than these is appended
 * to the log all the same and `lily runs receipt --rebuild` writes it.
 */
export const COMPLETED_KEPT = 5_000;
/** Default delay between a projection and the checkpoint write that covers it (and those after). */
const CHECKPOINT_EVERY_MS = 250;

export interface ProjectorOptions {
  store: EventStore;
  runsDir: string;
  /** Where the global position of the last projected event is kept. */
  checkpointFile: string;
  log: Logger;
  /** Called after a run's receipts are written. */
  onProjected?: (runId: RunId, dir: string) => void;
  /**
   * The checkpoint is written at most this often (default 250 ms) and at stop: after a crash
   * the projector resumes a little earlier and writes a few receipts again, which is harmless.
   */
  checkpointEveryMs?: number;
  /**
   * How a run's receipts are written (default `writeReceipts`). The engine process passes
   * `writeReceiptsSync` (inline and in the thread): the same bytes, with blocking file calls
   * that cost half the main thread's time and a third of the CPU (decision 032).
   */
  write?: (runsDir: string, events: readonly StoredEvent[]) => Promise<{ dir: string }> | { dir: string };
  /** Completed runs remembered for their late answers (default `COMPLETED_KEPT`). */
  completedKept?: number;
}

/**
 * Follows the log (catch-up, then live) and writes the receipts of every run that reaches a
 * final state into `.lily/runs/<job>/<ts>-<runId>/`, and again when a worker answers a dispatch
 * the run cancelled as it ended (how and when that work stopped is part of the receipt). Receipts are pure folds of the run's
 * events, so writing them again is harmless: the projector can restart anywhere (it resumes
 * after its checkpoint) and `lily runs receipt --rebuild` gives the same bytes.
 */
export class Projector {
  readonly #o: ProjectorOptions;
  /** Streams of runs projected lately: an answer to a cancelled dispatch lands after the end. */
  readonly #completed = new Set<string>();
  #sub: Subscription | undefined;
  #saved = 0;
  #dirReady = false;
  #timer: NodeJS.Timeout | undefined;
  /** The checkpoint write under way: writes never overlap. */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: ProjectorOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const from = (await this.#readCheckpoint()) + 1;
    const filter = (e: StoredEvent) => !LATE_ANSWERS.has(e.type) || this.#completed.has(e.stream);
    this.#saved = from - 1;
    this.#sub = this.#o.store.subscribe({ fromPos: from, types: PROJECTED_TYPES, filter }, (e) =>
      this.#project(e),
    );
    this.#sub.done.catch((e) =>
      this.#o.log.error({ event: 'projector.stopped', error: errorInfo(e) }, 'projector stopped'),
    );
  }

  async #project(e: StoredEvent): Promise<void> {
    // The log wakes its subscriptions before the appender's own continuation runs: wait for the
    // next turn, so whoever appended `run.completed` publishes it before receipts take the loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
    probe('projector.start', e.stream);
    const events = await this.#o.store.readStream(e.stream);
    if (e.type === 'run.completed') this.#remember(e.stream);
    else if (!events.some((x) => x.type === 'run.completed')) return;
    try {
      const { dir } = await (this.#o.write ?? writeReceipts)(this.#o.runsDir, events);
      const runId = e.stream.slice(4);
      if (isRunId(runId)) this.#o.onProjected?.(runId, dir);
    } catch (err) {
      // A receipt that cannot be written is logged; the log still has the run and
      // `lily runs receipt --rebuild` can write it later.
      this.#o.log.error(
        { event: 'projector.write_failed', stream: e.stream, error: errorInfo(err) },
        'receipt write failed',
      );
    }
    this.#scheduleCheckpoint();
    probe('projector.done', e.stream);
  }

  #remember(stream: string): void {
    if (this.#completed.has(stream)) return;
    this.#completed.add(ownString(stream));
    if (this.#completed.size > (this.#o.completedKept ?? COMPLETED_KEPT)) {
      const oldest = this.#completed.values().next().value;
      if (oldest !== undefined) this.#completed.delete(oldest);
    }
  }

  async #readCheckpoint(): Promise<number> {
    try {
      const n = Number((await readFile(this.#o.checkpointFile, 'utf8')).trim());
      return Number.isSafeInteger(n) && n >= 0 ? n : 0;
    } catch {
      return 0;
    }
  }

  #scheduleCheckpoint(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#checkpoint().catch((err) =>
        this.#o.log.error(
          { event: 'projector.checkpoint_failed', error: errorInfo(err) },
          'projector checkpoint write failed',
        ),
      );
    }, this.#o.checkpointEveryMs ?? CHECKPOINT_EVERY_MS);
    this.#timer.unref();
  }

  /** Saves the position handled so far (every event before it is projected or not wanted). */
  #checkpoint(): Promise<void> {
    const next = this.#writing.then(() => this.#writeCheckpoint(this.position()));
    this.#writing = next.catch(() => undefined);
    return next;
  }

  async #writeCheckpoint(pos: number): Promise<void> {
    if (pos <= this.#saved) return;
    if (!this.#dirReady) {
      await mkdir(dirname(this.#o.checkpointFile), { recursive: true, mode: PRIVATE_DIR_MODE });
      this.#dirReady = true;
    }
    const tmp = `${this.#o.checkpointFile}.tmp`;
    await writeFile(tmp, String(pos), { mode: PRIVATE_FILE_MODE });
    await rename(tmp, this.#o.checkpointFile);
    this.#saved = pos;
  }

  /** Settles when following the log ends: resolves after `stop()`, rejects when it failed (logged). */
  get ended(): Promise<void> {
    return this.#sub?.done ?? Promise.resolve();
  }

  /** How many completed runs it remembers for their late answers (at most `completedKept`). */
  get remembered(): number {
    return this.#completed.size;
  }

  /** The global position projected so far. */
  position(): number {
    return this.#sub?.position ?? 0;
  }

  /**
   * Waits until every event in the log now is projected (or the subscription ended, or
   * `timeoutMs` passed): what a stop that drains calls first. Resolves with whether it caught up.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    if (!this.#sub) return true;
    const target = await this.#o.store.lastPosition();
    const deadline = Date.now() + timeoutMs;
    let ended = false;
    this.#sub?.done.then(
      () => {
        ended = true;
      },
      () => {
        ended = true;
      },
    );
    while (this.position() < target && !ended && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.position() >= target;
  }

  /** Stops following the log (after the projection under way) and saves the checkpoint. */
  async stop(): Promise<void> {
    await this.#sub?.close();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#checkpoint();
  }
}
