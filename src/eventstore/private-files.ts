import { chmodSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `.lily/` holds step inputs and outputs, grants' key, credentials and logs: it is private to
 * its owner whatever the umask. Directories Lily creates there are 0700 and files 0600; a mode
 * given at creation is only ever narrowed by the umask, never widened, so these hold under
 * umask 000 too. Files created by a library with its own mode (LMDB: 0664) are narrowed after.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Narrows `path` to `mode` when it has any bit beyond it; true when it changed. Missing: false. */
export const narrowMode = (path: string, mode: number): boolean => {
  let current: number;
  try {
    current = statSync(path).mode & 0o777;
  } catch {
    return false;
  }
  if ((current & ~mode) === 0) return false;
  chmodSync(path, current & mode);
  return true;
};

/** The files of an LMDB environment directory: the directory 0700, `data.mdb` and `lock.mdb` 0600. */
export const privateLmdbFiles = (dir: string): void => {
  narrowMode(dir, PRIVATE_DIR_MODE);
  for (const name of ['data.mdb', 'lock.mdb']) narrowMode(join(dir, name), PRIVATE_FILE_MODE);
};
