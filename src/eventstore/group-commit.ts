import type { RootDatabase } from 'lmdb';
import { LilyError } from '../contracts/errors.js';
import { probe } from '../contracts/probe.js';

/** One write waiting for the next group commit of its environment. */
interface Queued {
  what: string;
  write: () => unknown;
  onWritten?: (result: unknown) => void;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The writes of each environment queued in this event turn, and when their commit is over. */
const queues = new WeakMap<RootDatabase, { queued: Queued[]; over: Promise<void> }>();

const unavailable = (what: string, cause: unknown): LilyError => {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new LilyError('eventstore_unavailable', `${what} failed: ${detail}`, { what }, { cause });
};

const callSafely = (fn: (value: unknown) => void, value: unknown): void => {
  try {
    fn(value);
  } catch {
    // The caller's hook; the write it follows stands either way.
  }
};

/** The hooks to run before the commit in progress (`commitQueued` is synchronous: one at a time). */
let committing: Set<() => void> | undefined;

/**
 * Called from a write's `onWritten`, inside a group commit: runs `hook` once after every write
 * of that commit and before its commit and fsync (the same function, named by several
 * writes, runs once). The commit blocks the thread, so a microtask queued by `onWritten` runs only
 * after the fsync: this is where what `onWritten` queued is sent on, to leave while the disk works
 * (decision 038). A throw from `hook` is ignored. Outside a commit it throws.
 */
export const beforeThisCommit = (hook: () => void): void => {
  if (!committing) throw new Error('beforeThisCommit called outside a group commit');
  committing.add(hook);
};

/**
 * Commits every write queued for `root` in one synchronous LMDB write transaction: LMDB's
 * inter-process writer lock, one nested transaction per write (a write that throws rolls back
 * alone), the hooks they named with `beforeThisCommit`, one commit with its fsync.
 * Nothing runs on lmdb-js's write thread (decision 037).
 */
const commitQueued = (root: RootDatabase): void => {
  const queued = queues.get(root)?.queued ?? [];
  queues.delete(root);
  const outcomes: Outcome[] = [];
  const hooks = new Set<() => void>();
  try {
    root.transactionSync(() => {
      committing = hooks;
      try {
        for (const q of queued) {
          try {
            // Nested in a write transaction, lmdb-js runs this as a child transaction.
            const value = root.transactionSync(() => {
              const written = q.write();
              if (q.onWritten) callSafely(q.onWritten, written);
              return written;
            });
            outcomes.push({ ok: true, value });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      } finally {
        committing = undefined;
      }
      for (const hook of hooks) callSafely(hook, undefined);
    });
  } catch (error) {
    for (const q of queued) q.reject(unavailable(q.what, error));
    return;
  }
  queued.forEach((q, i) => {
    const o = outcomes[i] as Outcome;
    if (o.ok) {
      probe('lmdb.committed', q.what);
      q.resolve(o.value);
    } else q.reject(unavailable(q.what, o.error));
  });
};

/**
 * Runs `write` in a write transaction of `root` (opened with `openLilyLmdb`): queued for the group
 * commit at the end of this event turn, it resolves with its result once that commit is on disk. Writes queued in one turn share a transaction
 * and an fsync; each is all or nothing. Any failure (a full disk: ENOSPC, EIO, EFBIG; a closed
 * environment; a throw from `write`) becomes `eventstore_unavailable` `{what}`.
 * `onWritten` runs inside the transaction right after `write` (a throw from it is ignored).
 */
export const durableWrite = <T>(
  root: RootDatabase,
  what: string,
  write: () => T,
  onWritten?: (result: T) => void,
): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    let batch = queues.get(root);
    if (!batch) {
      const queued: Queued[] = [];
      const over = new Promise<void>((done) =>
        setImmediate(() => {
          commitQueued(root);
          done();
        }),
      );
      batch = { queued, over };
      queues.set(root, batch);
    }
    batch.queued.push({
      what,
      write,
      onWritten: onWritten as ((result: unknown) => void) | undefined,
      resolve: resolve as (result: unknown) => void,
      reject,
    });
  });

/** Resolves once the writes queued for `root` so far are committed or refused: before a close. */
export const groupCommitsSettled = async (root: RootDatabase): Promise<void> => {
  await queues.get(root)?.over;
};
