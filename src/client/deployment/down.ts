import {
  type DaemonRecord,
  readDeploymentState,
  removeDeploymentState,
  type StopManagedNatsResult,
  type StopOutcome,
  stopDaemon,
  stopManagedNats,
} from '../../deployment/nats-server/index.js';
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
}

const stopAll = (records: DaemonRecord[], graceMs: number): Promise<StoppedProcess[]> =>
  Promise.all(
    records.map(async (r) => ({ id: r.id, pid: r.pid, outcome: await stopDaemon(r, { graceMs }) })),
  );

/**
 * SIGTERM the workers (they finish the steps in hand), then the engine, each SIGKILLed if still
 * there after `graceMs`; then the managed nats-server (also when only an interrupted ephemeral
 * run left it behind). Only processes whose command line still carries their marker are
 * signalled: a pid now used by another program is reported `not_ours` and left alone. Removes
 * `.lily/deployment.json`.
 */
export const deploymentDown = async (paths: ProjectPaths, graceMs: number): Promise<DeploymentDown> => {
  const state = await readDeploymentState(paths.root);
  const records = state && !('invalid' in state) ? state.processes : [];
  const workers = await stopAll(
    records.filter((r) => r.role !== 'engine'),
    graceMs,
  );
  const engines = await stopAll(
    records.filter((r) => r.role === 'engine'),
    graceMs,
  );
  const nats = await stopManagedNats(paths.root, { graceMs });
  await removeDeploymentState(paths.root);
  return { processes: [...engines, ...workers], nats };
};
