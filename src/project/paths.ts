import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LilyError } from '../contracts/errors.js';

/** The `.lily/` layout of a project (design.md §5). Every path is absolute. */
export interface ProjectPaths {
  /** The project directory (the one holding `.lily/`). */
  dir: string;
  /** `.lily/` itself. */
  root: string;
  config: string;
  policy: string;
  jobs: string;
  db: string;
  artifacts: string;
  runs: string;
  logs: string;
  nats: string;
  keys: string;
  gitignore: string;
}

/** The `.lily/` paths of the project in `dir` (nothing is read or created). */
export const projectPaths = (dir: string): ProjectPaths => {
  const abs = resolve(dir);
  const root = join(abs, '.lily');
  return {
    dir: abs,
    root,
    config: join(root, 'config.yaml'),
    policy: join(root, 'policy.yaml'),
    jobs: join(root, 'jobs'),
    db: join(root, 'db'),
    artifacts: join(root, 'artifacts'),
    runs: join(root, 'runs'),
    logs: join(root, 'logs'),
    nats: join(root, 'nats'),
    keys: join(root, 'keys'),
    gitignore: join(root, '.gitignore'),
  };
};

/** The directories `lily init` creates and git ignores: state, not source. */
export const GENERATED_DIRS = ['db', 'runs', 'logs', 'nats', 'artifacts', 'keys'] as const;

/**
 * The paths of an initialized project. Throws `project_not_initialized` `{dir, expected}` when
 * `dir` has no `.lily/` directory.
 */
export const requireProject = (dir: string): ProjectPaths => {
  const paths = projectPaths(dir);
  if (!existsSync(paths.root) || !statSync(paths.root).isDirectory()) {
    throw new LilyError('project_not_initialized', `no .lily/ directory in ${paths.dir}: run \`lily init\``, {
      dir: paths.dir,
      expected: paths.root,
    });
  }
  return paths;
};

/** True when `dir` holds a `.lily/` directory. */
export const isProject = (dir: string): boolean => {
  const { root } = projectPaths(dir);
  return existsSync(root) && statSync(root).isDirectory();
};
