/**
 * Which program a command really runs, decided without touching the disk: the file system is
 * injected (`ExecutableProbe`), so the same rules run at the policy gate, at the worker right
 * before it spawns, and in unit tests against a fake file system. POSIX paths only.
 */

/** What the file system says about an absolute path (the real probe follows symlinks on disk). */
export interface ExecutableProbe {
  /** The path with every symlink and `..` resolved, or undefined when it does not exist. */
  realpath(path: string): string | undefined;
  /** True when `realPath` is a regular file this process may execute. */
  isExecutableFile(realPath: string): boolean;
}

/** Where names are looked up. */
export interface ProgramSearch {
  /** Absolute directories, searched in order for a bare name (the policy's `path`). */
  searchPath: readonly string[];
  /** Absolute directory a relative path (`./bin/tool`) starts from: the command's cwd. */
  cwd: string;
}

/** argv[0] found on disk. */
export interface ResolvedProgram {
  /** argv[0] as written. */
  program: string;
  /** The name the program is started under (the last part of argv[0]): a multi-call binary (busybox, uutils) acts on it. */
  name: string;
  /** Where it was found, before following symlinks (absolute). */
  path: string;
  /** What the kernel executes: `path` with every symlink followed. */
  realPath: string;
}

export type ProgramLookup = { ok: true; resolved: ResolvedProgram } | { ok: false; reason: string };

/** Looks a program up the way the policy means it; `cwd` is relative to the workspace. */
export type ResolveProgram = (program: string, cwd: string) => ProgramLookup;

const lastPart = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** `dir/rest` without `.` parts or doubled slashes (no-ops for the kernel); `..` is left for realpath. */
const joinDir = (dir: string, rest: string): string =>
  `/${`${dir}/${rest}`
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/')}`;

/**
 * Finds argv[0]: a name with a slash is a path (absolute, or relative to `cwd`); a bare name is
 * looked up in `searchPath` only (never in the step's own PATH), first executable file wins.
 * The result names both where it was found and its real path.
 */
export const resolveProgram = (
  program: string,
  where: ProgramSearch,
  probe: ExecutableProbe,
): ProgramLookup => {
  if (program === '') return { ok: false, reason: 'argv[0] is empty' };
  if (program.includes('\0')) return { ok: false, reason: 'argv[0] contains NUL' };
  const name = lastPart(program);
  if (name === '' || name === '.' || name === '..')
    return { ok: false, reason: `${program} does not name a file` };
  const found = (path: string): ProgramLookup | undefined => {
    const realPath = probe.realpath(path);
    if (realPath === undefined || !probe.isExecutableFile(realPath)) return undefined;
    return { ok: true, resolved: { program, name, path, realPath } };
  };
  if (program.includes('/')) {
    const path = joinDir(program.startsWith('/') ? '/' : where.cwd, program);
    return found(path) ?? { ok: false, reason: `${program} is not an executable file` };
  }
  for (const dir of where.searchPath) {
    if (!dir.startsWith('/')) continue;
    const hit = found(joinDir(dir, program));
    if (hit) return hit;
  }
  return {
    ok: false,
    reason: `${program} is not on the policy's search path (${where.searchPath.join(':') || 'empty'})`,
  };
};

/**
 * The directories bare names are looked up in: the policy's `path` (relative entries are
 * relative to the project directory), or, when the policy has none, the engine's PATH at load
 * (its relative and empty entries dropped: they would search wherever a step runs).
 */
export const effectiveSearchPath = (
  policyPath: readonly string[] | undefined,
  envPath: string | undefined,
  projectDir: string,
): { searchPath: string[]; source: 'policy' | 'environment' } => {
  if (policyPath !== undefined) {
    return {
      searchPath: policyPath.map((dir) => (dir.startsWith('/') ? dir : joinDir(projectDir, dir))),
      source: 'policy',
    };
  }
  const dirs = (envPath ?? '').split(':').filter((dir) => dir.startsWith('/'));
  return { searchPath: [...new Set(dirs)], source: 'environment' };
};

export type CommandVerdict =
  | { ok: true; resolved?: ResolvedProgram }
  | { ok: false; reason: string; resolved?: ResolvedProgram };

/**
 * Whether argv[0] is allowed: `"*"` allows anything; otherwise argv[0] must resolve, and an
 * allowlist entry (a bare name resolved on the same search path, or a path relative to the
 * project) must resolve to the same real file started under the same name. So `./x/echo` is
 * not `echo` unless it is the very same file, a symlink named `sh` to the busybox that `echo`
 * is does not pass as `echo`, and `/usr/bin/node` passes as `node` when that is where `node`
 * is found. `cwd` is the command's, relative to the workspace.
 */
export const checkProgram = (
  allowlist: readonly string[],
  program: string,
  cwd: string,
  resolve: ResolveProgram,
): CommandVerdict => {
  const lookup = resolve(program, cwd);
  if (allowlist.includes('*')) return lookup.ok ? { ok: true, resolved: lookup.resolved } : { ok: true };
  if (!lookup.ok) return { ok: false, reason: `command ${program} is not allowed: ${lookup.reason}` };
  const { resolved } = lookup;
  const sameFile: string[] = [];
  for (const entry of allowlist) {
    const allowed = resolve(entry, '.');
    if (!allowed.ok || allowed.resolved.realPath !== resolved.realPath) continue;
    if (allowed.resolved.name === resolved.name) return { ok: true, resolved };
    sameFile.push(entry);
  }
  const why =
    sameFile.length > 0
      ? ` (it is the file ${sameFile.join(', ')} is, started as ${resolved.name}: a multi-call binary acts on that name)`
      : '';
  return {
    ok: false,
    reason: `command ${program} (${resolved.realPath}) is not in the command allowlist${why}`,
    resolved,
  };
};
