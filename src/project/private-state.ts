import { chmod, lstat, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Directories under `.lily/` are 0700, files 0600: nobody but the owner reads runs, keys or logs. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** An entry of `.lily/` that others can reach: its path (relative to `.lily/`) and mode. */
export interface LooseEntry {
  path: string;
  mode: number;
  kind: 'dir' | 'file';
}

const modeOf = (mode: number): number => mode & 0o777;
const loose = (mode: number): boolean => (modeOf(mode) & 0o077) !== 0;

/**
 * Every directory and file under `root` (`.lily/` included) that its group or others can
 * reach, depth first. Symlinks are not followed (their own mode means nothing).
 */
export const findLooseEntries = async (root: string): Promise<LooseEntry[]> => {
  const out: LooseEntry[] = [];
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path).catch(() => undefined);
    if (!info || info.isSymbolicLink()) return;
    const rel = relative(root, path) || '.';
    if (info.isDirectory()) {
      if (loose(info.mode)) out.push({ path: rel, mode: modeOf(info.mode), kind: 'dir' });
      for (const name of (await readdir(path).catch(() => [])).sort()) await walk(join(path, name));
    } else if (info.isFile() && loose(info.mode)) {
      out.push({ path: rel, mode: modeOf(info.mode), kind: 'file' });
    }
  };
  await walk(root);
  return out;
};

/**
 * Makes an existing `.lily/` private again: when `.lily/` itself is reachable by others (a
 * project from before Lily kept it private, or a `chmod`), every entry found by
 * `findLooseEntries` is narrowed to 0700 / 0600. A private `.lily/` is left alone (its
 * contents are out of reach whatever their modes, and a walk of every artifact on each start
 * costs time). Returns the entries it narrowed (relative to `.lily/`); entries it may not
 * change (another owner) are left and reported by `lily doctor`.
 */
export const tightenPrivateState = async (root: string): Promise<LooseEntry[]> => {
  const top = await lstat(root).catch(() => undefined);
  if (!top?.isDirectory() || !loose(top.mode)) return [];
  const narrowed: LooseEntry[] = [];
  for (const entry of await findLooseEntries(root)) {
    const mode = entry.kind === 'dir' ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    try {
      await chmod(join(root, entry.path), entry.mode & mode);
      narrowed.push(entry);
    } catch {
      // Not ours to change: `lily doctor` reports it.
    }
  }
  return narrowed;
};
