import { statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_FILE_SUFFIX } from '../blueprints/jobs/parse.js';
import type { JobSource } from '../blueprints/jobs/repository.js';
import { LilyError } from '../contracts/errors.js';

const isMissing = (e: unknown): boolean => (e as { code?: unknown })?.code === 'ENOENT';

/**
 * A `JobSource` over a directory of `<id>.job.yaml` files (`.lily/jobs/`). A missing directory
 * holds no jobs. `read` throws `job_not_found` `{id, dir, known}` for a missing file.
 */
/** Files changed this recently are read again every time (file times are coarse: a few ms). */
const SETTLED_MS = 1_000;

/**
 * What identifies one version of a file (inode, size, mtime, ctime), or undefined when that is
 * not enough: a file changed within the last second could change again within the same clock
 * tick with the same size and times (git's "racily clean" case), so it is never taken as unchanged.
 */
const versionOf = (file: string): string | undefined => {
  try {
    const s = statSync(file, { bigint: true });
    if (!s.isFile()) return undefined;
    const changedMs = Math.max(Number(s.mtimeNs / 1_000_000n), Number(s.ctimeNs / 1_000_000n));
    if (Date.now() - changedMs < SETTLED_MS) return undefined;
    return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return undefined;
  }
};

export const fsJobSource = (dir: string): JobSource => {
  // The scheduler reads a job for every run request: an unchanged file (one stat) is not read again.
  const texts = new Map<string, { version: string; text: string }>();
  const list = async (): Promise<string[]> => {
    try {
      const names = await readdir(dir);
      return names
        .filter((n) => n.endsWith(JOB_FILE_SUFFIX) && n.length > JOB_FILE_SUFFIX.length)
        .map((n) => n.slice(0, -JOB_FILE_SUFFIX.length))
        .sort();
    } catch (e) {
      if (isMissing(e)) return [];
      throw e;
    }
  };
  return {
    location: dir,
    list,
    read: async (id) => {
      const file = join(dir, `${id}${JOB_FILE_SUFFIX}`);
      // Any name that stays inside `dir` is read, so a listed file with a bad id (`héllo`)
      // is reported by the spec parser (job_invalid_spec), not as missing.
      const plain = /^[^./\\\0][^/\\\0]{0,199}$/.test(id) && !id.includes('..');
      try {
        if (!plain) throw Object.assign(new Error('not a job id'), { code: 'ENOENT' });
        const version = versionOf(file);
        const known = texts.get(file);
        if (version !== undefined && known?.version === version) return { text: known.text, file };
        const text = await readFile(file, 'utf8');
        if (version !== undefined && versionOf(file) === version) texts.set(file, { version, text });
        else texts.delete(file);
        return { text, file };
      } catch (e) {
        if (!isMissing(e)) throw e;
        throw new LilyError('job_not_found', `no job "${id}": ${file} does not exist`, {
          id,
          dir,
          known: await list(),
        });
      }
    },
  };
};
