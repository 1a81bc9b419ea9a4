/**
 * The soak's deployment: `lily up` / `lily down` through the built CLI, and the chaos actions
 * on its processes. A killed engine or worker is started again with the very command `lily up`
 * used (`node dist/deployment/daemon-main.js <role> --dir …`), and `.lily/deployment.json`
 * is updated so `lily down` and `lily status` still find it. nats-server is restarted on the
 * same port with the same config (same trust chain), and `.lily/nats/state.json` gets its new pid.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { writeJsonFileAtomic } from '../../src/deployment/nats-server/files.js';
import {
  type DaemonRecord,
  type DeploymentState,
  isOurProcess,
  natsAcceptsConnections,
  natsPaths,
  readDeploymentState,
  readManagedNatsState,
  spawnDaemon,
  stopProcess,
  waitForExit,
  writeDeploymentState,
} from '../../src/deployment/nats-server/index.js';

const run = promisify(execFile);
export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(REPO_ROOT, 'bin/lily.js');
const DAEMON_MAIN = join(REPO_ROOT, 'dist/deployment/daemon-main.js');

/** Runs the built CLI with `--json --dir <dir>` (and `env`, default this process's); resolves with its parsed stdout. */
export const lilyCli = async (
  dir: string,
  args: string[],
  timeoutMs = 120_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<unknown> => {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json', '--dir', dir], {
    cwd: dir,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    env,
  });
  return stdout.trim() === '' ? undefined : JSON.parse(stdout);
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The deployment file; throws when it is missing or invalid (the soak started it). */
export const deploymentState = async (lilyRoot: string): Promise<DeploymentState> => {
  const state = await readDeploymentState(lilyRoot);
  if (!state || 'invalid' in state) throw new Error(`no valid deployment.json under ${lilyRoot}`);
  return state;
};

export const recordOf = (state: DeploymentState, id: string): DaemonRecord => {
  const record = state.processes.find((p) => p.id === id);
  if (!record) throw new Error(`deployment has no process ${id}`);
  return record;
};

/**
 * Memory of a process in MB from /proc/<pid>/status: `rss` (VmRSS), split into `anon` (its own
 * heap and stacks: RssAnon) and `file` (file-backed pages mapped in, mostly the LMDB map:
 * RssFile). Undefined when the process is gone.
 */
export const memoryMb = (pid: number): { rss: number; anon: number; file: number } | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN);
    const mb = (n: number) => Math.round((n / 1024) * 10) / 10;
    const rss = kb('VmRSS');
    return Number.isNaN(rss) ? undefined : { rss: mb(rss), anon: mb(kb('RssAnon')), file: mb(kb('RssFile')) };
  } catch {
    return undefined;
  }
};

/** SIGKILLs a recorded daemon and waits until it is gone. */
export const killDaemon = async (record: Pick<DaemonRecord, 'pid' | 'cmdlineMarker'>): Promise<void> => {
  if (!isOurProcess(record.pid, [record.cmdlineMarker])) return;
  try {
    process.kill(record.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await waitForExit(record.pid, [record.cmdlineMarker], 10_000);
};

/** argv (after node) of a deployment daemon, exactly as `lily up` starts it (see planDaemons). */
const daemonArgs = (dir: string, record: DaemonRecord): string[] => {
  if (record.role === 'engine') return [DAEMON_MAIN, 'engine', '--dir', dir];
  const n = record.id.replace(/^worker-/, '');
  return [DAEMON_MAIN, 'worker', '--dir', dir, '--id', n, '--concurrency', '16'];
};

/**
 * Starts a daemon again under the same id and marker (and `env`, default this process's, as
 * `lily up` passes its own) and records its new pid. Returns the new record.
 */
export const restartDaemon = async (
  dir: string,
  lilyRoot: string,
  id: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<DaemonRecord> => {
  const state = await deploymentState(lilyRoot);
  const old = recordOf(state, id);
  const record = await spawnDaemon({
    role: old.role,
    id: old.id,
    command: process.execPath,
    args: daemonArgs(dir, old),
    log: old.log,
    cmdlineMarker: old.cmdlineMarker,
    cwd: dir,
    env,
  });
  const fresh = await deploymentState(lilyRoot);
  await writeDeploymentState(lilyRoot, {
    ...fresh,
    processes: fresh.processes.map((p) => (p.id === id ? record : p)),
  });
  return record;
};

/**
 * Restarts the managed nats-server: SIGTERM (SIGKILL after 5 s), `downMs` of silence, then
 * the same binary with the same config (same port and trust chain). Updates state.json and
 * deployment.json with the new pid. Throws when it does not accept connections within 15 s.
 */
export const restartNats = async (lilyRoot: string, downMs: number): Promise<number> => {
  const state = await readManagedNatsState(lilyRoot);
  if (!state) throw new Error('no managed nats-server state');
  await stopProcess(state.pid, [state.config], { graceMs: 5_000 });
  await sleep(downMs);
  const record = await spawnDaemon({
    role: 'nats',
    id: 'nats',
    command: state.binary,
    args: ['-c', state.config],
    log: natsPaths(lilyRoot).log,
    cmdlineMarker: state.config,
  });
  const deadline = Date.now() + 15_000;
  while (!(await natsAcceptsConnections(state.port))) {
    if (Date.now() > deadline) throw new Error(`nats-server did not come back on port ${state.port}`);
    await sleep(50);
  }
  await writeJsonFileAtomic(natsPaths(lilyRoot).state, { ...state, pid: record.pid, startedAt: Date.now() });
  const deployment = await deploymentState(lilyRoot);
  if (deployment.nats.managed) {
    await writeDeploymentState(lilyRoot, { ...deployment, nats: { ...deployment.nats, pid: record.pid } });
  }
  return record.pid;
};

/**
 * Last resort at exit: SIGKILLs every process (but this one) whose command line contains the
 * soak's unique temp dir. Returns how many it found.
 */
export const killStrays = (marker: string): number => {
  let found = 0;
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    if (!isOurProcess(pid, [marker])) continue;
    found += 1;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone in between
    }
  }
  return found;
};
