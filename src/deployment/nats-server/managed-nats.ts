import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { LilyError } from '../../contracts/errors.js';
import { loadOrCreateNatsTrust, type TrustJwts, trustJwts } from '../nats-auth/keys.js';
import { spawnDaemon } from './daemon.js';
import { readJsonFile, removeFile, writeFileAtomic, writeJsonFileAtomic } from './files.js';
import { findNatsServer } from './find-binary.js';
import { freeLoopbackPort, natsAcceptsConnections } from './network.js';
import { DEFAULT_GRACE_MS, isAlive, readCmdline, type StopOutcome, stopProcess } from './process-identity.js';

/** Where the managed server keeps its files, under the project's `.lily/`. */
export interface NatsPaths {
  /** `.lily/nats/` */
  dir: string;
  /** `.lily/nats/data`: the JetStream store. */
  dataDir: string;
  /** `.lily/nats/nats.conf` (0600): the trust chain's JWTs (public), port, store. */
  config: string;
  /** `.lily/nats/nats-server.pid`, written by nats-server itself. */
  pidFile: string;
  /** `.lily/nats/state.json`: see `ManagedNatsState`. */
  state: string;
  /** `.lily/logs/nats-server.log`: the server's stdout and stderr. */
  log: string;
  /** `.lily/keys/`: the trust chain's seeds live in `keys/nats/` (see nats-auth/keys.ts). */
  keys: string;
}

export const natsPaths = (lilyRoot: string): NatsPaths => {
  const dir = join(lilyRoot, 'nats');
  return {
    dir,
    dataDir: join(dir, 'data'),
    config: join(dir, 'nats.conf'),
    pidFile: join(dir, 'nats-server.pid'),
    state: join(dir, 'state.json'),
    log: join(lilyRoot, 'logs', 'nats-server.log'),
    keys: join(lilyRoot, 'keys'),
  };
};

/** `.lily/nats/state.json`: the running managed server. No secrets. */
export const managedNatsStateSchema = z.object({
  version: z.literal(1),
  pid: z.number().int().positive(),
  /** `nats://127.0.0.1:<port>` (no credentials). */
  url: z.string(),
  port: z.number().int().positive(),
  /** Epoch ms. */
  startedAt: z.number(),
  /** Absolute path of the nats-server binary. */
  binary: z.string(),
  /** Absolute path of the config file: part of the server's command line (`-c <config>`). */
  config: z.string(),
});
export type ManagedNatsState = z.infer<typeof managedNatsStateSchema>;

/** A running managed server. Clients connect with a credential of the project account (connect.ts). */
export interface ManagedNats extends ManagedNatsState {
  /** True when `startManagedNats` found it already running and started nothing. */
  reused: boolean;
}

export const readManagedNatsState = async (lilyRoot: string): Promise<ManagedNatsState | undefined> => {
  const raw = await readJsonFile(natsPaths(lilyRoot).state);
  if (raw === undefined || 'invalid' in raw) return undefined;
  const parsed = managedNatsStateSchema.safeParse(raw.value);
  return parsed.success ? parsed.data : undefined;
};

/**
 * True when the recorded pid is alive and is that very server: its command line names
 * nats-server (or the recorded binary) and the recorded config path. A reused pid fails this.
 */
export const isManagedNatsProcess = (state: Pick<ManagedNatsState, 'pid' | 'config' | 'binary'>): boolean => {
  const cmdline = readCmdline(state.pid);
  if (cmdline === undefined) return false;
  return (
    cmdline.includes(state.config) && (cmdline.includes('nats-server') || cmdline.includes(state.binary))
  );
};

/**
 * The server config: loopback only, JetStream, and decentralized JWT auth (docs/decisions/014):
 * the server trusts the project's operator and knows the project account and the system account
 * from `resolver_preload` (a MEMORY resolver), so it accepts any user JWT the account key signs,
 * including ones issued after it started, and refuses every client without one.
 */
const configText = (port: number, jwts: TrustJwts, paths: NatsPaths): string =>
  [
    '# Written by lily (managed nats-server). Regenerated at every start; do not edit.',
    `listen: ${JSON.stringify(`127.0.0.1:${port}`)}`,
    `operator: ${JSON.stringify(jwts.operatorJwt)}`,
    `system_account: ${JSON.stringify(jwts.systemPublicKey)}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${jwts.accountPublicKey}: ${JSON.stringify(jwts.accountJwt)}`,
    `  ${jwts.systemPublicKey}: ${JSON.stringify(jwts.systemJwt)}`,
    '}',
    `jetstream { store_dir: ${JSON.stringify(paths.dataDir)} }`,
    `pid_file: ${JSON.stringify(paths.pidFile)}`,
    '',
  ].join('\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const logTail = async (file: string): Promise<string> =>
  (await readFile(file, 'utf8').catch(() => '')).slice(-2_000);

export interface StartManagedNatsOptions {
  /** The binary; default: `findNatsServer(env)`. */
  binary?: string;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the server to accept connections (default 10 s). */
  startTimeoutMs?: number;
  /** Epoch ms recorded as `startedAt` (default Date.now()). */
  now?: () => number;
}

type LaunchResult = { ok: true; pid: number } | { ok: false; portInUse: boolean; log: string };

const launch = async (binary: string, port: number, paths: NatsPaths, timeoutMs: number) => {
  const record = await spawnDaemon({
    role: 'nats',
    id: 'nats',
    command: binary,
    args: ['-c', paths.config],
    log: paths.log,
    cmdlineMarker: paths.config,
    // Its JetStream store and pid file live under .lily/: private whatever our umask.
    umask: 0o077,
  });
  const deadline = Date.now() + timeoutMs;
  const state = { pid: record.pid, config: paths.config, binary };
  while (Date.now() < deadline) {
    if (!isManagedNatsProcess(state)) {
      const log = await logTail(paths.log);
      return { ok: false, portInUse: /address already in use/i.test(log), log } satisfies LaunchResult;
    }
    if (await natsAcceptsConnections(port)) return { ok: true, pid: record.pid } satisfies LaunchResult;
    await sleep(25);
  }
  await stopProcess(record.pid, [paths.config], { graceMs: 2_000 });
  return { ok: false, portInUse: false, log: await logTail(paths.log) } satisfies LaunchResult;
};

/**
 * Starts the project's nats-server in the background: 127.0.0.1 on a free port, JetStream in
 * `.lily/nats/data`, trusting only the project's NATS operator (keys made on first use in
 * `.lily/keys/nats/`, 0600 in 0700): a client needs a user credential signed by the project
 * account (connect.ts mints one per process and role; `lily creds issue` writes one to a file).
 * The config (`.lily/nats/nats.conf`, 0600) holds only public JWTs. Output goes
 * to `.lily/logs/nats-server.log`. Returns once the server accepts TCP connections, after
 * recording `.lily/nats/state.json`. The server outlives this process.
 *
 * Idempotent: when the recorded server is alive (and is ours), it is returned with
 * `reused: true`. A stale state file (dead pid, or a pid now used by another program) is
 * discarded without touching that process.
 *
 * Throws `nats_server_missing` (no binary; the message says how to install it) or
 * `nats_server_start_failed` `{binary, port, log, logTail}` when it exits or does not listen in time.
 */
export const startManagedNats = async (
  lilyRoot: string,
  options: StartManagedNatsOptions = {},
): Promise<ManagedNats> => {
  const paths = natsPaths(lilyRoot);
  const existing = await readManagedNatsState(lilyRoot);
  if (existing && isManagedNatsProcess(existing)) return { ...existing, reused: true };
  await removeFile(paths.state);
  const binary = options.binary ?? findNatsServer(options.env).path;
  await mkdir(paths.dataDir, { recursive: true, mode: 0o700 });
  await mkdir(join(lilyRoot, 'logs'), { recursive: true, mode: 0o700 });
  const jwts = await trustJwts(await loadOrCreateNatsTrust(paths.keys), basename(dirname(lilyRoot)));
  let last: { port: number; log: string } = { port: 0, log: '' };
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    await writeFileAtomic(paths.config, configText(port, jwts, paths));
    const result = await launch(binary, port, paths, options.startTimeoutMs ?? 10_000);
    if (result.ok) {
      const state: ManagedNatsState = {
        version: 1,
        pid: result.pid,
        url: `nats://127.0.0.1:${port}`,
        port,
        startedAt: (options.now ?? Date.now)(),
        binary,
        config: paths.config,
      };
      await writeJsonFileAtomic(paths.state, state);
      return { ...state, reused: false };
    }
    last = { port, log: result.log };
    if (!result.portInUse) break;
  }
  throw new LilyError('nats_server_start_failed', `nats-server did not start (see ${paths.log})`, {
    binary,
    port: last.port,
    log: paths.log,
    logTail: last.log.split('\n').slice(-8).join('\n'),
  });
};

export interface StopManagedNatsResult {
  /** `not_running` also covers "no state file"; `not_ours`: the pid is another program's, left alone. */
  outcome: StopOutcome;
  pid?: number;
}

/**
 * Stops the managed server: SIGTERM, SIGKILL after `graceMs` (default 10 s). Signals only a
 * process that is provably this server (see `isManagedNatsProcess`); a stale state file is
 * removed with outcome `not_running` / `not_ours`. Removes state and pid file (the keys stay).
 */
export const stopManagedNats = async (
  lilyRoot: string,
  options: { graceMs?: number } = {},
): Promise<StopManagedNatsResult> => {
  const paths = natsPaths(lilyRoot);
  const state = await readManagedNatsState(lilyRoot);
  let outcome: StopOutcome = 'not_running';
  if (state) {
    outcome = isManagedNatsProcess(state)
      ? await stopProcess(state.pid, [state.config], { graceMs: options.graceMs ?? DEFAULT_GRACE_MS })
      : isAlive(state.pid)
        ? 'not_ours'
        : 'not_running';
  }
  await Promise.all([removeFile(paths.state), removeFile(paths.pidFile)]);
  return { outcome, ...(state ? { pid: state.pid } : {}) };
};

/** `running` (alive and ours), `stopped` (no state), or `stale` (a state whose pid is not our server). */
export type ManagedNatsStatus =
  | { status: 'running'; state: ManagedNatsState }
  | { status: 'stale'; state: ManagedNatsState }
  | { status: 'stopped' };

export const managedNatsStatus = async (lilyRoot: string): Promise<ManagedNatsStatus> => {
  const state = await readManagedNatsState(lilyRoot);
  if (!state) return { status: 'stopped' };
  return isManagedNatsProcess(state) ? { status: 'running', state } : { status: 'stale', state };
};

/** The url of the managed server when it runs (connect.ts adds a credential); undefined otherwise. */
export const managedNatsUrl = async (lilyRoot: string): Promise<string | undefined> => {
  const status = await managedNatsStatus(lilyRoot);
  return status.status === 'running' ? status.state.url : undefined;
};
