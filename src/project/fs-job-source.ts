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
export const fsJobSource = (dir: string): JobSource => {
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
        return { text: await readFile(file, 'utf8'), file };
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
