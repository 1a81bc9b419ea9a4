import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ProjectPaths, projectPaths } from './paths.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenPrivateState } from './private-state.js';
import { CONFIG_TEMPLATE, GITIGNORE_TEMPLATE, HELLO_JOB_TEMPLATE, POLICY_TEMPLATE } from './templates.js';

export interface InitOptions {
  /** Overwrite files that exist (config, policy, the example job, .gitignore). */
  force?: boolean;
}

export interface InitResult {
  paths: ProjectPaths;
  /** Absolute paths written because they were missing. */
  created: string[];
  /** Absolute paths rewritten because of `force`. */
  overwritten: string[];
  /** Absolute paths left as they were. */
  kept: string[];
}

/**
 * Creates `.lily/` in `dir`: config.yaml, policy.yaml, jobs/hello.job.yaml and a .gitignore for
 * the state directories. Idempotent: existing files are kept unless `force`. Never deletes.
 * `.lily/` is private whatever the umask (directories 0700, files 0600); an existing one that
 * others can reach is made private again.
 */
export const initProject = async (dir: string, options: InitOptions = {}): Promise<InitResult> => {
  const paths = projectPaths(dir);
  await mkdir(paths.dir, { recursive: true });
  await mkdir(paths.root, { recursive: true, mode: PRIVATE_DIR_MODE });
  await tightenPrivateState(paths.root);
  await mkdir(paths.jobs, { recursive: true, mode: PRIVATE_DIR_MODE });
  const files: [string, string][] = [
    [paths.config, CONFIG_TEMPLATE],
    [paths.policy, POLICY_TEMPLATE],
    [join(paths.jobs, 'hello.job.yaml'), HELLO_JOB_TEMPLATE],
    [paths.gitignore, GITIGNORE_TEMPLATE],
  ];
  const result: InitResult = { paths, created: [], overwritten: [], kept: [] };
  for (const [file, text] of files) {
    const exists = existsSync(file);
    if (exists && !options.force) {
      result.kept.push(file);
      continue;
    }
    await writeFile(file, text, { encoding: 'utf8', mode: PRIVATE_FILE_MODE });
    // An overwritten file keeps its old mode: narrow it too.
    if (exists) await chmod(file, PRIVATE_FILE_MODE);
    (exists ? result.overwritten : result.created).push(file);
  }
  return result;
};
