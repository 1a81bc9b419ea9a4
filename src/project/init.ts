import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { type ExampleSource, exampleFiles, findExample } from './examples.js';
import { type ProjectPaths, projectPaths } from './paths.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenPrivateState } from './private-state.js';
import { CONFIG_TEMPLATE, GITIGNORE_TEMPLATE, HELLO_JOB_TEMPLATE, POLICY_TEMPLATE } from './templates.js';

export interface InitOptions {
  /** Overwrite files that exist (config, policy, the example job, .gitignore, an example's files). */
  force?: boolean;
  /**
   * Create the project from the example a pack ships (`hxo` -> the package `@lily/hxo`): its
   * config, policy and jobs replace the templates (and the `hello` job), and its workspace files
   * are copied into `dir`. See `findExample`.
   */
  example?: string;
}

export interface InitResult {
  paths: ProjectPaths;
  /** The example the project was created from, when `example` was given. */
  example?: ExampleSource;
  /** Absolute paths written because they were missing. */
  created: string[];
  /** Absolute paths rewritten because of `force`. */
  overwritten: string[];
  /** Absolute paths left as they were. */
  kept: string[];
}

/** What to write at a path: a template's text, or a copy of an example's file. */
type Content = { text: string } | { copyOf: string };

/** The files of a new project, by absolute path: the templates, then an example's files over them. */
const plannedFiles = (paths: ProjectPaths, example: ExampleSource | undefined): Map<string, Content> => {
  const files = new Map<string, Content>([
    [paths.config, { text: CONFIG_TEMPLATE }],
    [paths.policy, { text: POLICY_TEMPLATE }],
    [paths.gitignore, { text: GITIGNORE_TEMPLATE }],
  ]);
  if (example === undefined) {
    files.set(join(paths.jobs, 'hello.job.yaml'), { text: HELLO_JOB_TEMPLATE });
    return files;
  }
  for (const f of exampleFiles(example)) files.set(join(paths.dir, f.target), { copyOf: f.source });
  return files;
};

/**
 * Creates `.lily/` in `dir`: config.yaml, policy.yaml, jobs/hello.job.yaml and a .gitignore for
 * the state directories; with `example`, the example's files instead of the templates (see
 * InitOptions). Idempotent: existing files are kept unless `force`. Never deletes. Throws
 * `example_not_found` (nothing written) when the example cannot be found. `.lily/` is private
 * whatever the umask (directories 0700, files 0600); an existing one that others can reach is
 * made private again. An example's files outside `.lily/` (its workspace) keep their modes.
 */
export const initProject = async (dir: string, options: InitOptions = {}): Promise<InitResult> => {
  const paths = projectPaths(dir);
  const example = options.example === undefined ? undefined : findExample(options.example, paths.dir);
  const files = plannedFiles(paths, example);
  await mkdir(paths.dir, { recursive: true });
  await mkdir(paths.root, { recursive: true, mode: PRIVATE_DIR_MODE });
  await tightenPrivateState(paths.root);
  await mkdir(paths.jobs, { recursive: true, mode: PRIVATE_DIR_MODE });
  const result: InitResult = { paths, created: [], overwritten: [], kept: [] };
  if (example) result.example = example;
  for (const [file, content] of files) {
    const exists = existsSync(file);
    if (exists && !options.force) {
      result.kept.push(file);
      continue;
    }
    const inState = file.startsWith(paths.root + sep);
    await mkdir(dirname(file), { recursive: true, ...(inState ? { mode: PRIVATE_DIR_MODE } : {}) });
    if ('text' in content)
      await writeFile(file, content.text, {
        encoding: 'utf8',
        ...(inState ? { mode: PRIVATE_FILE_MODE } : {}),
      });
    else await copyFile(content.copyOf, file);
    // A copy has its source's mode, an overwritten file keeps its old one: narrow them too.
    if (inState && (exists || !('text' in content))) await chmod(file, PRIVATE_FILE_MODE);
    (exists ? result.overwritten : result.created).push(file);
  }
  return result;
};
