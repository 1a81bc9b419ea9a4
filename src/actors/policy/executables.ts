import { createHash } from 'node:crypto';
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LilyError } from '../../contracts/errors.js';
import {
  type ExecutableProbe,
  effectiveSearchPath,
  type ResolvedProgram,
  type ResolveProgram,
  resolveProgram,
} from '../../policy/programs.js';
import type { Policy } from '../../policy/schema.js';

/** The real file system: symlinks followed, regular files with an execute permission for us. */
export const fsExecutableProbe: ExecutableProbe = {
  realpath(path) {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  },
  isExecutableFile(realPath) {
    try {
      if (!statSync(realPath).isFile()) return false;
      accessSync(realPath, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** How one process looks programs up under a policy: its search path and the resolver. */
export interface ProgramResolver {
  searchPath: readonly string[];
  /** `policy`: the policy's `path`; `environment`: this process's PATH when the policy loaded. */
  source: 'policy' | 'environment';
  /** Resolves argv[0]; `cwd` is relative to the workspace. */
  resolve: ResolveProgram;
}

/**
 * The resolver for a policy in a workspace: bare names on the policy's `path` (default: `envPath`,
 * this process's PATH), relative paths against the command's cwd inside the workspace.
 */
export const programResolver = (
  policy: Pick<Policy, 'path'>,
  workspace: string,
  envPath: string | undefined = process.env.PATH,
  probe: ExecutableProbe = fsExecutableProbe,
): ProgramResolver => {
  const root = resolve(workspace);
  const { searchPath, source } = effectiveSearchPath(policy.path, envPath, root);
  return {
    searchPath,
    source,
    resolve: (program, cwd) => resolveProgram(program, { searchPath, cwd: resolve(root, cwd) }, probe),
  };
};

/** What ran, named so that a grant or a receipt can pin it: the real file and its content. */
export interface ExecutableIdentity {
  /** argv[0] as written. */
  program: string;
  /** The name it is started under. */
  name: string;
  /** The real path (every symlink followed). */
  path: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  size: number;
  dev: number;
  ino: number;
  mtimeMs: number;
}

const digests = new Map<string, string>();
const MAX_CACHED = 1_024;

/**
 * The identity of a resolved program: its real path and the sha256 of its content, read
 * through one open descriptor (so the stat and the bytes are of the same file). Digests are
 * cached by (path, device, inode, size, mtime, ctime): a rewritten file is hashed again.
 * Throws the OS error when the file cannot be read.
 */
export const executableIdentity = async (resolved: ResolvedProgram): Promise<ExecutableIdentity> => {
  const handle = await open(resolved.realPath, 'r');
  try {
    const st = await handle.stat();
    const key = `${resolved.realPath}\n${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    let sha256 = digests.get(key);
    if (sha256 === undefined) {
      const hash = createHash('sha256');
      for await (const chunk of handle.createReadStream({ autoClose: false, start: 0 })) hash.update(chunk);
      sha256 = hash.digest('hex');
      if (digests.size >= MAX_CACHED) digests.delete(digests.keys().next().value as string);
      digests.set(key, sha256);
    }
    return {
      program: resolved.program,
      name: resolved.name,
      path: resolved.realPath,
      sha256,
      size: st.size,
      dev: st.dev,
      ino: st.ino,
      mtimeMs: st.mtimeMs,
    };
  } finally {
    await handle.close();
  }
};

/**
 * The identity of the program `program` names, resolved as the policy resolves it (`resolve`
 * from `programResolver`, `cwd` relative to the workspace): what a grant can be bound to, and
 * what a worker can compare before it starts a file.
 *
 * @throws LilyError `job_policy_denied` `{program, reason}` when it does not resolve; the OS
 * error when the file cannot be read.
 * @example
 * const { resolve } = programResolver(policy, projectDir);
 * const id = await commandIdentity(resolve, 'node', '.'); // { path: '/usr/bin/node', sha256: '…', … }
 */
export const commandIdentity = async (
  resolve: ResolveProgram,
  program: string,
  cwd: string,
): Promise<ExecutableIdentity> => {
  const lookup = resolve(program, cwd);
  if (!lookup.ok)
    throw new LilyError('job_policy_denied', `cannot identify ${program}: ${lookup.reason}`, {
      program,
      reason: lookup.reason,
    });
  return executableIdentity(lookup.resolved);
};
