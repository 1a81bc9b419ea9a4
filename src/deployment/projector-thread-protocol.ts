/**
 * What the engine process and its projector thread say to each other (projector-thread.ts,
 * projector-thread-main.ts). Everything crosses by structured clone.
 */
import type { LogFields, LogLevel } from '../contracts/logger.js';

/** The thread's `workerData`. */
export interface ProjectorThreadData {
  /** `.lily/db`: the LMDB environment, opened again in the thread with the same options. */
  dbPath: string;
  runsDir: string;
  checkpointFile: string;
  /** How often the thread's store looks for appends of the engine (ms). */
  pollIntervalMs: number;
  /** At stop, how long the thread waits for the log to be projected before it stops anyway. */
  drainMs: number;
  /** Relay the projector's probe points (a sink was installed in the engine's thread). */
  probes: boolean;
  /** Report each run projected (the adapter was given `onProjected`). */
  projected: boolean;
}

/** To the thread. */
export type ToProjectorThread = { type: 'stop' };

/** From the thread. */
export type FromProjectorThread =
  | { type: 'started'; position: number }
  | { type: 'position'; position: number }
  | { type: 'projected'; runId: string; dir: string }
  | { type: 'log'; level: LogLevel; fields: LogFields; msg: string | undefined }
  /** `at`: epoch ms with fractions (`performance.timeOrigin + performance.now()` of the thread). */
  | { type: 'probe'; point: string; key: string; at: number }
  | { type: 'stopped'; position: number; drained: boolean };
