import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Runs `fn` holding an exclusive lock file (created with O_EXCL, holding our pid), so two
 * workers on this machine never open the same embedded database at once. A lock whose pid is
 * gone is taken over. Waits until `signal` aborts.
 */
export const withFileLock = async <T>(
  path: string,
  signal: AbortSignal,
  fn: () => Promise<T>,
): Promise<T> => {
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    signal.throwIfAborted();
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) await unlink(path).catch(() => undefined);
      else await sleep(50, undefined, { signal });
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
};
