/**
 * The projector's thread (started by `ProjectorThread`): opens the project's LMDB environment
 * again (same options, `openLilyLmdb`), follows the log with the `Projector` and writes
 * receipts, off the engine's event loop. Its logs, its position and, when the engine's thread
 * probes, its probe points go back as messages. On `stop` it projects what the log holds, saves
 * its checkpoint, closes its handles and answers `stopped`. A projector whose subscription
 * fails ends the thread with code 1 (the engine restarts it; it resumes from its checkpoint).
 */
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { Projector } from '../actors/engine/projector.js';
import { errorInfo } from '../actors/error-info.js';
import type { LogFields, Logger, LogLevel } from '../contracts/logger.js';
import { setProbeSink } from '../contracts/probe.js';
import { closeLilyLmdb, openLilyLmdb } from '../eventstore/lmdb-env.js';
import { openLmdbEventStore } from '../eventstore/lmdb-event-store.js';
import { writeReceiptsSync } from '../eventstore/write-receipts.js';
import type {
  FromProjectorThread,
  ProjectorThreadData,
  ToProjectorThread,
} from './projector-thread-protocol.js';

/** How often the position is reported when it moved (ms). */
const POSITION_EVERY_MS = 100;

const port = parentPort;
if (!port) throw new Error('projector-thread-main.js runs as a worker thread');
// Receipts are projections that may lag: this thread yields the CPU to the engine's event loop,
// the workers and nats-server. On Linux a nice value is per thread, and setpriority on the
// calling thread (pid 0) lowers this thread only; elsewhere it may lower the whole process, so
// it is only done on Linux. Without the permission it stays as it is.
if (process.platform === 'linux') {
  try {
    setPriority(0, 19);
  } catch {
    // Not allowed: the thread runs at the process's priority.
  }
}
const data = workerData as ProjectorThreadData;

const post = (m: FromProjectorThread): void => {
  try {
    port.postMessage(m);
  } catch {
    // Fields that cannot be cloned (a function, a socket) are sent as their JSON.
    port.postMessage(JSON.parse(JSON.stringify(m)) as FromProjectorThread);
  }
};

/** A Logger whose entries go to the engine's logger (the adapter adds `actor: projector`). */
const threadLogger = (bindings: LogFields): Logger => {
  const at =
    (level: LogLevel) =>
    (fieldsOrMsg: LogFields | string, msg?: string): void => {
      const fields = typeof fieldsOrMsg === 'string' ? {} : fieldsOrMsg;
      const text = typeof fieldsOrMsg === 'string' ? fieldsOrMsg : msg;
      post({ type: 'log', level, fields: { ...bindings, ...fields }, msg: text });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => threadLogger({ ...bindings, ...more }),
    flush: async () => undefined,
  };
};

if (data.probes) {
  setProbeSink((point, key) =>
    post({ type: 'probe', point, key, at: performance.timeOrigin + performance.now() }),
  );
}

const log = threadLogger({});
const root = openLilyLmdb(data.dbPath);
const store = openLmdbEventStore({ root, pollIntervalMs: data.pollIntervalMs });
const projector = new Projector({
  store,
  runsDir: data.runsDir,
  checkpointFile: data.checkpointFile,
  log,
  // This thread serves nothing else: blocking file calls are cheaper than the thread pool.
  write: writeReceiptsSync,
  ...(data.projected
    ? { onProjected: (runId: string, dir: string) => post({ type: 'projected', runId, dir }) }
    : {}),
});

let reported = -1;
const report = (): void => {
  const position = projector.position();
  if (position === reported) return;
  reported = position;
  post({ type: 'position', position });
};
const reporter = setInterval(report, POSITION_EVERY_MS);

const started = projector.start();
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  clearInterval(reporter);
  await started;
  const drained = await projector.drain(data.drainMs);
  if (!drained)
    log.warn(
      { event: 'projector.drain_incomplete', position: projector.position(), drainMs: data.drainMs },
      'projector stopped before it projected the whole log; it resumes from its checkpoint',
    );
  await projector.stop();
  await store.close();
  await closeLilyLmdb(root);
  post({ type: 'stopped', position: projector.position(), drained });
  // Nothing else holds the thread open: it ends once this message is on its way.
  port.unref();
};

port.on('message', (m: ToProjectorThread) => {
  if (m.type === 'stop')
    stop().catch((e) => {
      log.error({ event: 'projector.stop_failed', error: errorInfo(e) }, 'projector did not stop cleanly');
      process.exit(1);
    });
});

await started;
projector.ended.catch(() => {
  // Logged by the projector; the engine sees the exit code and starts a new thread.
  if (!stopping) process.exit(1);
});
post({ type: 'started', position: projector.position() });
