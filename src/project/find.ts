import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where a project was looked for, and what was found. */
export interface ProjectLocation {
  /**
   * The project directory: the one holding `.lily/` when `found`, else the directory a project
   * would be looked for in (the explicit one, or the start of the walk).
   */
  dir: string;
  /** True when `dir` holds a `.lily/` directory. */
  found: boolean;
  /** True when the caller named the directory (`--dir`): no walk-up was made. */
  explicit: boolean;
  /**
   * When nothing was found: the nearest ancestor holding `.git` (a repository root), the
   * natural home of a new project. Undefined when there is none.
   */
  repositoryRoot?: string;
  /**
   * With an explicit directory that holds no `.lily/`: the nearest ancestor that does (the user
   * probably meant it). Undefined otherwise.
   */
  enclosingProject?: string;
}

const isDir = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

const holdsLily = (dir: string): boolean => isDir(join(dir, '.lily'));

/** `start` and each of its ancestors up to the file system root, nearest first. */
const ancestry = function* (start: string): Generator<string> {
  let dir = resolve(start);
  for (;;) {
    yield dir;
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
};

const nearest = (start: string, test: (dir: string) => boolean): string | undefined => {
  for (const dir of ancestry(start)) if (test(dir)) return dir;
  return undefined;
};

/**
 * Finds the project a command works on, like git finds its repository: with `explicit` (the
 * `--dir` a user gave) exactly that directory; otherwise the nearest of `cwd` and its ancestors
 * that holds a `.lily/` directory. Reads the file system only (stat); never creates anything
 * and never throws: `found: false` says there is no project, with `repositoryRoot` and
 * `enclosingProject` as hints for the message.
 *
 * @example
 * const at = locateProject({ cwd: process.cwd() });
 * if (!at.found) console.error(`no project; lily init --dir ${at.repositoryRoot ?? at.dir}`);
 */
export const locateProject = (options: { explicit?: string; cwd: string }): ProjectLocation => {
  if (options.explicit !== undefined) {
    const dir = resolve(options.cwd, options.explicit);
    if (holdsLily(dir)) return { dir, found: true, explicit: true };
    const enclosing = nearest(dirname(dir), holdsLily);
    const repo = nearest(dir, (d) => existsSync(join(d, '.git')));
    return {
      dir,
      found: false,
      explicit: true,
      ...(enclosing !== undefined && enclosing !== dir ? { enclosingProject: enclosing } : {}),
      ...(repo !== undefined ? { repositoryRoot: repo } : {}),
    };
  }
  const start = resolve(options.cwd);
  const dir = nearest(start, holdsLily);
  if (dir !== undefined) return { dir, found: true, explicit: false };
  const repo = nearest(start, (d) => existsSync(join(d, '.git')));
  return {
    dir: start,
    found: false,
    explicit: false,
    ...(repo !== undefined ? { repositoryRoot: repo } : {}),
  };
};
