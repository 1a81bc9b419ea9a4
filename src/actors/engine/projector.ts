import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoredEvent } from '../../contracts/events/envelope.js';
import { isRunId, type RunId } from '../../contracts/ids.js';
import { probe } from '../../contracts/probe.js';
import type { EventStore, Subscription } from '../../eventstore/event-store.js';
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
/** Completed runs whose late answers re-project their receipts. */
const COMPLETED_KEPT = 10_000;

export interface ProjectorOptions {
  store: EventStore;
  runsDir: string;
  /** Where the global position of the last projected event is kept. */
  checkpointFile: string;
  log: Logger;
  /** Called after a run's receipts are written. */
  onProjected?: (runId: RunId, dir: string) => void;
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

  constructor(options: ProjectorOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const from = (await this.#readCheckpoint()) + 1;
    const filter = (e: StoredEvent) =>
      e.type === 'run.completed' ||
      e.type === 'step.cancelled' ||
      (LATE_ANSWERS.has(e.type) && this.#completed.has(e.stream));
    this.#sub = this.#o.store.subscribe({ fromPos: from, filter }, (e) => this.#project(e));
    this.#sub.done.catch((e) =>
      this.#o.log.error({ event: 'projector.stopped', error: errorInfo(e) }, 'projector stopped'),
    );
  }

  async #project(e: StoredEvent): Promise<void> {
    probe('projector.start', e.stream);
    const events = await this.#o.store.readStream(e.stream);
    if (e.type === 'run.completed') this.#remember(e.stream);
    else if (!events.some((x) => x.type === 'run.completed')) return this.#writeCheckpoint(e.pos);
    try {
      const { dir } = await writeReceipts(this.#o.runsDir, events);
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
    await this.#writeCheckpoint(e.pos);
    probe('projector.done', e.stream);
  }

  #remember(stream: string): void {
    this.#completed.add(stream);
    if (this.#completed.size > COMPLETED_KEPT) {
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

  async #writeCheckpoint(pos: number): Promise<void> {
    if (pos <= this.#saved) return;
    this.#saved = pos;
    await mkdir(dirname(this.#o.checkpointFile), { recursive: true, mode: PRIVATE_DIR_MODE });
    const tmp = `${this.#o.checkpointFile}.tmp`;
    await writeFile(tmp, String(pos), { mode: PRIVATE_FILE_MODE });
    await rename(tmp, this.#o.checkpointFile);
  }

  /** The global position projected so far. */
  position(): number {
    return this.#sub?.position ?? 0;
  }

  async stop(): Promise<void> {
    await this.#sub?.close();
  }
}
