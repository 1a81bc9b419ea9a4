import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { LilyError } from '../../contracts/errors.js';
import { readJsonFile, removeFile, writeJsonFileAtomic } from './files.js';
import { DEFAULT_GRACE_MS, isOurProcess, type StopOutcome, stopProcess } from './process-identity.js';

export {
  DEFAULT_GRACE_MS,
  isAlive,
  isOurProcess,
  readCmdline,
  type StopOutcome,
  stopProcess,
  waitForExit,
} from './process-identity.js';

/** One background process of a deployment (engine, worker, ...). */
export const daemonRecordSchema = z.object({
  /** `engine`, `worker`, ... */
  role: z.string().min(1),
  /** Unique within the deployment: `engine`, `worker-1`, ... */
  id: z.string().min(1),
  pid: z.number().int().positive(),
  /** Epoch ms. */
  startedAt: z.number(),
  /** Absolute path of the file its stdout/stderr go to. */
  log: z.string(),
  /** A string its command line must contain for us to signal it (see `isOurProcess`). */
  cmdlineMarker: z.string().min(1),
});
export type DaemonRecord = z.infer<typeof daemonRecordSchema>;

/** The NATS a deployment uses: the managed server (see managed-nats.ts) or an external url. */
export const deploymentNatsSchema = z.union([
  z.object({
    managed: z.literal(true),
    pid: z.number().int().positive(),
    url: z.string(),
    port: z.number().int().positive(),
    startedAt: z.number(),
    binary: z.string(),
    /** `HOST:PORT` the server listens on beyond this machine (`lily up --listen`). */
    listen: z.string().optional(),
  }),
  z.object({ managed: z.literal(false), url: z.string() }),
]);

/**
 * `.lily/deployment.json`: what `lily up` started, for `lily status` / `lily down` / `lily doctor`.
 * Written atomically (temp file + rename); removed by `lily down`.
 */
export const deploymentStateSchema = z.object({
  version: z.literal(1),
  /**
   * `deployment`: `lily up`'s daemons. `ephemeral`: the engine inside one `lily jobs run` (its
   * one process is that command), recorded so other terminals find it (approvals, cancel,
   * tail, status) and `lily down` can stop it; it removes the file when it stops.
   */
  kind: z.enum(['deployment', 'ephemeral']).default('deployment'),
  namespace: z.string(),
  nats: deploymentNatsSchema,
  /** Where the workers share state (`lmdb` when absent: deployments before it was recorded). */
  ledger: z.enum(['lmdb', 'nats']).optional(),
  processes: z.array(daemonRecordSchema),
});
export type DeploymentState = z.infer<typeof deploymentStateSchema>;

/** `<lilyRoot>/deployment.json` (`lilyRoot` is the project's `.lily/`). */
export const deploymentStatePath = (lilyRoot: string): string => join(lilyRoot, 'deployment.json');

/**
 * Reads `.lily/deployment.json`. Undefined when there is none; a file that does not parse is
 * reported as `{ invalid: reason }` so callers can say so (and overwrite it) instead of failing.
 */
export const readDeploymentState = async (
  lilyRoot: string,
): Promise<DeploymentState | { invalid: string } | undefined> => {
  const raw = await readJsonFile(deploymentStatePath(lilyRoot));
  if (raw === undefined) return undefined;
  if ('invalid' in raw) return raw;
  const parsed = deploymentStateSchema.safeParse(raw.value);
  return parsed.success ? parsed.data : { invalid: parsed.error.issues[0]?.message ?? 'invalid' };
};

export const writeDeploymentState = (
  lilyRoot: string,
  state: z.input<typeof deploymentStateSchema>,
): Promise<void> => writeJsonFileAtomic(deploymentStatePath(lilyRoot), deploymentStateSchema.parse(state));

export const removeDeploymentState = (lilyRoot: string): Promise<void> =>
  removeFile(deploymentStatePath(lilyRoot));

/** True when the recorded process is alive and still carries its marker. */
export const daemonAlive = (record: Pick<DaemonRecord, 'pid' | 'cmdlineMarker'>): boolean =>
  isOurProcess(record.pid, [record.cmdlineMarker]);

/** Stops one recorded daemon; a reused pid (marker missing) is reported `not_ours`, never signalled. */
export const stopDaemon = (
  record: Pick<DaemonRecord, 'pid' | 'cmdlineMarker'>,
  options: { graceMs?: number } = {},
): Promise<StopOutcome> =>
  stopProcess(record.pid, [record.cmdlineMarker], { graceMs: options.graceMs ?? DEFAULT_GRACE_MS });

export interface SpawnDaemonOptions {
  role: string;
  id: string;
  command: string;
  args: readonly string[];
  /** File that receives stdout and stderr (appended; its directory is created). */
  log: string;
  /** Must occur in `command args…` (checked), so the pid can be recognised later. */
  cmdlineMarker: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Epoch ms to record; default Date.now(). */
  now?: number;
  /**
   * The umask the process starts with (it inherits it): 0o077 keeps every file it creates
   * private. Not for engine and worker daemons, whose step commands would inherit it too.
   */
  umask?: number;
}

/**
 * Starts a detached background process (its own process group, stdin closed, output to `log`)
 * that outlives this one, and returns its record for the deployment file.
 *
 * Throws `internal_error` when the marker is not in the command line (the record would never
 * match) or the OS refuses to start the command (ENOENT, EACCES: the message says which).
 */
export const spawnDaemon = async (options: SpawnDaemonOptions): Promise<DaemonRecord> => {
  const cmdline = [options.command, ...options.args].join(' ');
  if (!cmdline.includes(options.cmdlineMarker)) {
    throw new LilyError(
      'internal_error',
      `daemon marker ${options.cmdlineMarker} is not in its command line`,
      {
        marker: options.cmdlineMarker,
      },
    );
  }
  mkdirSync(dirname(options.log), { recursive: true, mode: 0o700 });
  const fd = openSync(options.log, 'a', 0o600);
  try {
    // The child is forked inside spawn(), synchronously: it inherits this umask, and this
    // process has its own back before anything else runs.
    const previousUmask = options.umask === undefined ? undefined : process.umask(options.umask);
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(options.command, [...options.args], {
        cwd: options.cwd,
        env: options.env ?? process.env,
        detached: true,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      if (previousUmask !== undefined) process.umask(previousUmask);
    }
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid as number));
    }).catch((e: Error) => {
      throw new LilyError('internal_error', `cannot start ${options.command}: ${e.message}`, {
        command: options.command,
        role: options.role,
      });
    });
    child.unref();
    return {
      role: options.role,
      id: options.id,
      pid,
      startedAt: options.now ?? Date.now(),
      log: options.log,
      cmdlineMarker: options.cmdlineMarker,
    };
  } finally {
    closeSync(fd);
  }
};
