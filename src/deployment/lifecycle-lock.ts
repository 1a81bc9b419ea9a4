import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { LilyError } from '../contracts/errors.js';
import { isAlive } from './nats-server/process-identity.js';

/**
 * One lifecycle lock per project, `.lily/lifecycle.lock`: whoever starts or stops the project's
 * processes holds it — `lily up` and `lily down` while they work, an ephemeral engine (`lily jobs
 * run` without a deployment) for as long as it lives. So two `up`s cannot race for the managed
 * server, an `up` cannot adopt the nats-server of an ephemeral run that is about to stop it,
 * and two ephemeral runs take turns instead of starting two engines on one database.
 *
 * The file is created with O_EXCL and names its holder (pid and the process's start time, so a
 * recycled pid is not taken for the holder). A holder that died without releasing is stale: the
 * next process takes the lock over, under a second O_EXCL file (`lifecycle.lock.takeover`) so
 * that two processes never both replace the same stale lock.
 */

export const LIFECYCLE_ACTIONS = ['up', 'down', 'ephemeral'] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

const holderSchema = z.object({
  pid: z.number().int().positive(),
  /** Start time of the process (Linux: clock ticks since boot), to tell a recycled pid apart. */
  startTime: z.string().optional(),
  what: z.enum(LIFECYCLE_ACTIONS),
  /** Epoch ms. */
  since: z.number(),
  /** The command line of the holder, for messages. */
  command: z.string(),
  /** Tells two holders of one process apart (a release removes only its own lock). */
  nonce: z.string().optional(),
});
export type LifecycleHolder = z.infer<typeof holderSchema>;

export const lifecycleLockPath = (lilyRoot: string): string => join(lilyRoot, 'lifecycle.lock');

/** Field 22 of /proc/<pid>/stat (Linux); undefined elsewhere or when gone. */
const startTimeOf = (pid: number): string | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
};

/** True while the recorded holder process runs (the same process, not a recycled pid). */
export const holderAlive = (h: Pick<LifecycleHolder, 'pid' | 'startTime'>): boolean =>
  isAlive(h.pid) && (h.startTime === undefined || startTimeOf(h.pid) === h.startTime);

const readHolder = async (file: string): Promise<LifecycleHolder | 'unreadable' | undefined> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const parsed = holderSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : 'unreadable';
  } catch {
    // Being written right now (open with O_EXCL, then write): not stale yet.
    return 'unreadable';
  }
};

/** The live holder of the project's lifecycle lock, if any. */
export const lifecycleHolder = async (lilyRoot: string): Promise<LifecycleHolder | undefined> => {
  const h = await readHolder(lifecycleLockPath(lilyRoot));
  return h !== undefined && h !== 'unreadable' && holderAlive(h) ? h : undefined;
};

const createExclusive = async (file: string, text: string): Promise<boolean> => {
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
};

/** A file older than this while unreadable was left half-written by a process that died. */
const UNREADABLE_STALE_MS = 10_000;

const ageMs = async (file: string): Promise<number> => {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
};

/**
 * Replaces a stale lock: only under the takeover file, and only if the lock still names the
 * same dead holder (re-read under the takeover file), so a fresh lock is never removed.
 */
const takeOver = async (file: string, stale: LifecycleHolder | 'unreadable'): Promise<void> => {
  const guard = `${file}.takeover`;
  if (!(await createExclusive(guard, String(process.pid)))) {
    if ((await ageMs(guard)) > UNREADABLE_STALE_MS) await unlink(guard).catch(() => undefined);
    return;
  }
  try {
    const now = await readHolder(file);
    const same =
      now !== undefined &&
      (now === 'unreadable'
        ? stale === 'unreadable'
        : stale !== 'unreadable' &&
          now.pid === stale.pid &&
          now.nonce === stale.nonce &&
          now.since === stale.since);
    if (same)
      await rename(file, `${file}.stale-${process.pid}`).then(() => unlink(`${file}.stale-${process.pid}`));
  } finally {
    await unlink(guard).catch(() => undefined);
  }
};

export interface LifecycleLock {
  readonly holder: LifecycleHolder;
  /** Removes the lock if it is still this process's. Idempotent. */
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long to wait for the holder to finish (default 0: fail at once). */
  waitMs?: number;
  /** Called once when the lock is held by someone else and this call starts waiting. */
  onWait?(holder: LifecycleHolder): void;
  /** Refuses at once (instead of waiting) when the holder does this (e.g. `up` vs an ephemeral engine). */
  refuseIf?(holder: LifecycleHolder): boolean;
  now?: () => number;
}

const busy = (h: LifecycleHolder, lilyRoot: string): LilyError =>
  new LilyError(
    'lifecycle_busy',
    h.what === 'ephemeral'
      ? `an ephemeral engine runs for \`${h.command}\` (pid ${h.pid}): wait for it to finish, or stop it with \`lily down\``
      : `\`lily ${h.what}\` (pid ${h.pid}) is starting or stopping this project's processes: try again when it is done`,
    { holder: h, lock: lifecycleLockPath(lilyRoot) },
  );

/**
 * Takes the project's lifecycle lock for `what`, waiting up to `waitMs` for a live holder to
 * release it (a stale one is taken over). Throws `lifecycle_busy` `{holder, lock}` when the
 * wait ends, or at once when `refuseIf(holder)`.
 */
export const acquireLifecycleLock = async (
  lilyRoot: string,
  what: LifecycleAction,
  o: AcquireOptions = {},
): Promise<LifecycleLock> => {
  const file = lifecycleLockPath(lilyRoot);
  await mkdir(lilyRoot, { recursive: true });
  const now = o.now ?? Date.now;
  const startTime = startTimeOf(process.pid);
  const holder: LifecycleHolder = {
    pid: process.pid,
    ...(startTime === undefined ? {} : { startTime }),
    what,
    since: now(),
    command: process.argv.slice(1).join(' '),
    nonce: randomUUID(),
  };
  const deadline = now() + (o.waitMs ?? 0);
  let waiting = false;
  for (;;) {
    if (await createExclusive(file, JSON.stringify(holder))) break;
    const current = await readHolder(file);
    if (current === undefined) continue;
    const stale =
      current === 'unreadable' ? (await ageMs(file)) > UNREADABLE_STALE_MS : !holderAlive(current);
    if (stale) {
      await takeOver(file, current);
      continue;
    }
    if (current !== 'unreadable') {
      if (o.refuseIf?.(current) || now() >= deadline) throw busy(current, lilyRoot);
      if (!waiting) o.onWait?.(current);
      waiting = true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let released = false;
  return {
    holder,
    release: async () => {
      if (released) return;
      released = true;
      const current = await readHolder(file);
      if (
        current !== undefined &&
        current !== 'unreadable' &&
        current.pid === holder.pid &&
        current.since === holder.since
      ) {
        await unlink(file).catch(() => undefined);
      }
    },
  };
};
