import { toLilyError } from '../../contracts/errors.js';
import {
  type DeploymentState,
  daemonAlive,
  findNatsServer,
  isManagedNatsProcess,
  NATS_INSTALL_HINT,
  natsServerVersion,
  readDeploymentState,
  readManagedNatsState,
} from '../../deployment/nats-server/index.js';
import { loadConfig } from '../../project/config.js';
import type { ProjectLocation } from '../../project/find.js';
import { type ProjectPaths, projectPaths } from '../../project/paths.js';
import {
  type Check,
  check,
  configChecks,
  engineKeysCheck,
  lmdbCheck,
  nodeCheck,
  privateStateCheck,
  projectCheck,
} from './doctor-checks.js';

/** Missing nats-server fails only when the project wants a managed one (the default). */
const natsCheck = async (paths: ProjectPaths | undefined): Promise<Check> => {
  const external = paths
    ? await loadConfig(paths.config).then(
        (c) => (c.nats.managed ? undefined : c.nats.url),
        () => undefined,
      )
    : undefined;
  const url = process.env.LILY_NATS_URL ?? external;
  try {
    const binary = findNatsServer();
    const version = await natsServerVersion(binary.path);
    return check('nats-server', 'ok', `${binary.path} ${version} (from ${binary.source})`);
  } catch (e) {
    const error = toLilyError(e);
    const path = typeof error.data.path === 'string' ? error.data.path : undefined;
    const detail =
      error.code !== 'nats_server_missing'
        ? error.message
        : path === undefined
          ? 'nats-server not found on PATH'
          : `${path} (LILY_NATS_SERVER) is not an executable nats-server`;
    return url
      ? check('nats-server', 'warn', `${detail} (not needed: NATS at ${url})`)
      : check('nats-server', 'fail', detail, NATS_INSTALL_HINT);
  }
};

const processChecks = (state: DeploymentState): Check[] =>
  state.processes.map((p) =>
    daemonAlive(p)
      ? check(`process ${p.id}`, 'ok', `pid ${p.pid} alive (log ${p.log})`)
      : check(
          `process ${p.id}`,
          'fail',
          `pid ${p.pid} is not running (${p.role}); see ${p.log}`,
          'run `lily down`, then `lily up`',
        ),
  );

/** The running deployment (`.lily/deployment.json`) and managed nats-server (`.lily/nats/state.json`). */
const deploymentChecks = async (paths: ProjectPaths): Promise<Check[]> => {
  const out: Check[] = [];
  const state = await readDeploymentState(paths.root);
  if (state !== undefined && 'invalid' in state) {
    out.push(
      check('deployment', 'fail', `${paths.root}/deployment.json: ${state.invalid}`, 'run `lily down`'),
    );
  } else if (state !== undefined) {
    out.push(
      check('deployment', 'ok', `namespace ${state.namespace}, ${state.processes.length} process(es)`),
    );
    out.push(...processChecks(state));
  } else {
    out.push(check('deployment', 'ok', 'no deployment running (`lily up` starts one)'));
  }
  const nats = await readManagedNatsState(paths.root);
  if (nats) {
    out.push(
      isManagedNatsProcess(nats)
        ? check('managed nats', 'ok', `pid ${nats.pid} at ${nats.url}`)
        : check(
            'managed nats',
            'fail',
            `pid ${nats.pid} is not our nats-server (stale .lily/nats/state.json)`,
            'run `lily down` (it removes stale state; nothing else is signalled)',
          ),
    );
  }
  return out;
};

/** Result of `doctor`: every check; `ok` unless one failed. */
export interface DoctorReport {
  ok: boolean;
  checks: Check[];
}

/**
 * Node, nats-server, project, private state, config, policy, jobs, LMDB, engine keys, and the running
 * deployment's processes, each with what to do. Never throws: a failure is a check.
 */
export const runDoctor = async (at: ProjectLocation): Promise<DoctorReport> => {
  const paths = at.found ? projectPaths(at.dir) : undefined;
  const checks: Check[] = [nodeCheck(), await natsCheck(paths), projectCheck(at)];
  if (paths) {
    checks.push(await privateStateCheck(paths));
    checks.push(...(await configChecks(paths)));
    checks.push(await lmdbCheck(paths), await engineKeysCheck(paths), ...(await deploymentChecks(paths)));
  }
  return { ok: checks.every((c) => c.status !== 'fail'), checks };
};
