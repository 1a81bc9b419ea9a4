import { acquireLifecycleLock } from '../../deployment/lifecycle-lock.js';
import {
  type DaemonRecord,
  readDeploymentState,
  removeDeploymentState,
  type StopManagedNatsResult,
  type StopOutcome,
  stopDaemon,
  stopManagedNats,
} from '../../deployment/nats-server/index.js';
import { findProjectProcesses } from '../../deployment/project-processes.js';
import type { ProjectPaths } from '../../project/paths.js';

/** What `down` did to one process. */
export interface StoppedProcess {
  id: string;
  pid: number;
  outcome: StopOutcome;
}

/** What `down` stopped: the deployment's processes, then the managed nats-server. */
export interface DeploymentDown {
  processes: StoppedProcess[];
  nats: StopManagedNatsResult;
  /**
   * Processes of the project no state file named any more (found by their command line: a
   * nats-server whose `.lily/nats/` was deleted, a daemon left by a crashed `up`), stopped too.
   */
  orphans: StoppedProcess[];
}

const stopAll = (records: DaemonRecord[], graceMs: number): Promise<StoppedProcess[]> =>
  Promise.all(
    records.map(async (r) => ({ id: r.id, pid: r.pid, outcome: await stopDaemon(r, { graceMs }) })),
  );

/** How long `down` waits for an `up` or `down` in progress. */
const LOCK_WAIT_MS = 60_000;

/**
 * SIGTERM the workers (they finish the steps in hand), then the engine, each SIGKILLed if still
 * there after `graceMs`; then the managed nats-server (also when only an interrupted ephemeral
 * run left it behind); then every other process of the project found by its command line
 * (`orphans`: a nats-server whose state files are gone, a daemon a crashed `up` left). An
 * ephemeral engine (`lily jobs run`) is stopped like a daemon (SIGTERM: it stops its engine
 * cleanly, the run resumes at the next engine start). Only processes whose command line still
 * carries their marker are signalled: a pid now used by another program is reported `not_ours`
 * and left alone. Removes `.lily/deployment.json`. Holds the lifecycle lock meanwhile.
 */
export const deploymentDown = async (paths: ProjectPaths, graceMs: number): Promise<DeploymentDown> => {
  const state = await readDeploymentState(paths.root);
  const records = state && !('invalid' in state) ? state.processes : [];
  // An ephemeral engine holds the lock for its whole life: stop it before taking the lock.
  const ephemeral =
    state && !('invalid' in state) && state.kind === 'ephemeral' ? await stopAll(records, graceMs) : [];
  const lock = await acquireLifecycleLock(paths.root, 'down', { waitMs: LOCK_WAIT_MS });
  try {
    const daemons = ephemeral.length > 0 ? [] : records;
    const workers = await stopAll(
      daemons.filter((r) => r.role !== 'engine'),
      graceMs,
    );
    const engines = await stopAll(
      daemons.filter((r) => r.role === 'engine'),
      graceMs,
    );
    const nats = await stopManagedNats(paths.root, { graceMs });
    const found = findProjectProcesses(paths.dir, paths.root);
    // Daemons before the server they talk to.
    found.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'daemon' ? -1 : 1));
    const orphans: StoppedProcess[] = [];
    for (const p of found) {
      const id = p.kind === 'nats-server' ? 'nats-server' : (p.marker.split(' ')[1] ?? 'daemon');
      orphans.push({
        id,
        pid: p.pid,
        outcome: await stopDaemon({ pid: p.pid, cmdlineMarker: p.marker }, { graceMs }),
      });
    }
    await removeDeploymentState(paths.root);
    return { processes: [...ephemeral, ...engines, ...workers], nats, orphans };
  } finally {
    await lock.release();
  }
};
