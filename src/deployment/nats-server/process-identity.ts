import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Process identity for daemons Lily starts (nats-server, engine, workers). A pid read back from
 * a file may have been reused by an unrelated process since: before signalling it we check that
 * the live process's command line still carries every marker we started it with (its binary,
 * its config path, the project directory). A stale pid never leads to a stranger being killed.
 */

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export const isAlive = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
  return !isZombie(pid);
};

/** An exited process its parent has not reaped yet (Linux); it holds a pid but runs nothing. */
const isZombie = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
};

/**
 * The command line of a live process, arguments joined by spaces: `/proc/<pid>/cmdline` on
 * Linux, `ps -o args=` elsewhere. Undefined when the process is gone or cannot be inspected.
 * A zombie (exited, not yet reaped by its parent) has an empty cmdline and counts as gone.
 */
export const readCmdline = (pid: number): string | undefined => {
  if (!isAlive(pid)) return undefined;
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const text = raw.split('\0').filter(Boolean).join(' ');
    return text === '' ? undefined : text;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT' || process.platform === 'linux') return undefined;
  }
  try {
    const text = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
};

/** True when `pid` is alive and its command line contains every marker. */
export const isOurProcess = (pid: number, markers: readonly string[]): boolean => {
  const cmdline = readCmdline(pid);
  return cmdline !== undefined && markers.every((m) => cmdline.includes(m));
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `pid` is gone (or no longer ours); false on timeout. */
export const waitForExit = async (
  pid: number,
  markers: readonly string[],
  timeoutMs: number,
): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isOurProcess(pid, markers)) {
      // Its command line goes blank while it exits: wait (briefly) until it is really gone,
      // so that a later look at the pid does not mistake the dying process for a stranger.
      const until = Math.min(deadline, Date.now() + 1_000);
      while (isAlive(pid) && Date.now() < until) await sleep(10);
      return true;
    }
    if (Date.now() >= deadline) return false;
    await sleep(25);
  }
};

/**
 * What `stopProcess` did: `stopped` (exited after SIGTERM), `killed` (needed SIGKILL),
 * `not_running` (no such process), `not_ours` (a live process whose command line lacks our
 * markers: a reused pid, left alone).
 */
export type StopOutcome = 'stopped' | 'killed' | 'not_running' | 'not_ours';

/** Default time between SIGTERM and SIGKILL. */
export const DEFAULT_GRACE_MS = 10_000;

/**
 * Stops a daemon we started: SIGTERM, then SIGKILL after `graceMs` if it is still there.
 * Signals only a process whose command line carries every marker; anything else is reported,
 * never signalled. Never throws for a process that vanished in between.
 */
export const stopProcess = async (
  pid: number,
  markers: readonly string[],
  options: { graceMs?: number } = {},
): Promise<StopOutcome> => {
  if (!isAlive(pid)) return 'not_running';
  if (!isOurProcess(pid, markers)) return isAlive(pid) ? 'not_ours' : 'not_running';
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // gone in between
    }
  };
  signal('SIGTERM');
  if (await waitForExit(pid, markers, options.graceMs ?? DEFAULT_GRACE_MS)) return 'stopped';
  if (isOurProcess(pid, markers)) signal('SIGKILL');
  await waitForExit(pid, markers, 5_000);
  return 'killed';
};
