import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ExecutionContext } from 'lily';
import picomatch from 'picomatch';
import type { ListedFile } from '../model/plan-types.js';
import { ALWAYS_EXCLUDED, type PartitionConfig } from '../model/schemas.js';
import { terminal } from './step-errors.js';

/** Folder names never descended into. */
const PRUNED = new Set(['node_modules', '.git']);

/** `./src/` -> `src`, `` -> `.`; refuses absolute paths and `..` escapes (the policy refuses them too). */
export const normalizeRoot = (root: string): string => {
  const n = posix.normalize(root.replaceAll('\\', '/')).replace(/\/+$/, '');
  if (n.startsWith('/') || n === '..' || n.startsWith('../'))
    throw terminal('path_outside_workspace', `root ${root} is not a relative path inside the workspace`, {
      root,
    });
  return n === '' ? '.' : n;
};

const joinPosix = (dir: string, name: string) => (dir === '.' ? name : `${dir}/${name}`);

/** Whether the policy lets a step touch `path`; denied paths are skipped, not fatal. */
const allowed = (ctx: ExecutionContext, path: string): boolean => {
  try {
    ctx.resolvePath(path);
    return true;
  } catch {
    return false;
  }
};

interface Walk {
  ctx: ExecutionContext;
  keep: (path: string) => boolean;
  out: Map<string, ListedFile>;
  denied: number;
}

/**
 * Walks `dir` (workspace-relative, at `abs` on disk) without following symlinks, so it never
 * leaves the root the policy accepted; each file is then checked on its own.
 */
const walk = async (w: Walk, root: string, dir: string, abs: string): Promise<void> => {
  const entries: Dirent[] = await readdir(abs, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = joinPosix(dir, entry.name);
    if (entry.isDirectory()) {
      if (PRUNED.has(entry.name) || path === '.lily') continue;
      await walk(w, root, path, join(abs, entry.name));
    } else if (entry.isFile() && !w.out.has(path) && w.keep(path)) {
      if (!allowed(w.ctx, path)) {
        w.denied++;
        continue;
      }
      const { size } = await stat(w.ctx.resolvePath(path));
      w.out.set(path, { path, size, root });
    }
  }
};

/**
 * The files under the config's roots, as workspace-relative POSIX paths sorted by code unit,
 * with their sizes: deterministic for the same workspace contents. Symlinks are not followed;
 * node_modules, .git and .lily are skipped; `include` narrows, `exclude` drops; files the
 * workspace policy denies are left out (and counted in a log entry). A root that does not
 * exist yields nothing; a root the policy refuses throws `job_policy_denied`.
 */
export const listFiles = async (ctx: ExecutionContext, config: PartitionConfig): Promise<ListedFile[]> => {
  const include = config.include.length > 0 ? picomatch(config.include, { dot: true }) : () => true;
  const exclude = picomatch([...ALWAYS_EXCLUDED, ...config.exclude], { dot: true });
  const w: Walk = { ctx, keep: (p) => include(p) && !exclude(p), out: new Map(), denied: 0 };
  for (const raw of config.roots) {
    const root = normalizeRoot(raw);
    const info = await stat(ctx.resolvePath(root)).catch(() => undefined);
    if (info?.isFile()) {
      if (!w.out.has(root) && w.keep(root))
        w.out.set(root, { path: root, size: info.size, root: posix.dirname(root) });
    } else if (info?.isDirectory()) await walk(w, root, root, ctx.resolvePath(root));
  }
  if (w.denied > 0)
    ctx.log.warn(
      { event: 'hxo.paths_denied', count: w.denied },
      'files denied by the workspace policy were skipped',
    );
  return [...w.out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
};
