import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';

import type { PathVerdict, WorkspaceRules } from '../../policy/decide.js';

export type { PathVerdict, WorkspaceRules } from '../../policy/decide.js';

/** The real path of `p`, or of its nearest existing ancestor joined with the rest (for paths not yet created). */
const realpathLoose = (p: string): string => {
  const parts: string[] = [];
  let current = p;
  for (;;) {
    try {
      return [realpathSync(current), ...parts.reverse()].join(sep);
    } catch {
      const parent = resolve(current, '..');
      if (parent === current) return p;
      parts.push(current.slice(parent.length + (parent.endsWith(sep) ? 0 : 1)));
      current = parent;
    }
  }
};

/**
 * Decides whether a step may touch a path: it must resolve inside the workspace root after
 * following symlinks (so neither `..` nor a symlink can lead out), contain no NUL, and match
 * an allow glob and no deny glob (deny wins). Globs match the path relative to the root.
 */
export const checkWorkspacePath = (root: string, path: string, rules: WorkspaceRules): PathVerdict => {
  if (path.includes('\0')) return { ok: false, reason: 'path contains NUL' };
  const realRoot = realpathLoose(resolve(root));
  const target = realpathLoose(resolve(realRoot, path));
  const rel = relative(realRoot, target);
  if (rel.startsWith('..') || isAbsolute(rel))
    return { ok: false, reason: `path ${path} resolves outside the workspace` };
  const relPosix = rel === '' ? '.' : rel.split(sep).join('/');
  const opts = { dot: true };
  if (rules.deny.length > 0 && picomatch(rules.deny as string[], opts)(relPosix)) {
    return { ok: false, reason: `path ${relPosix} matches a deny rule` };
  }
  // The root itself is allowed by the catch-all globs (`*`, `**`) or by naming it (`.`).
  const rootAllowed = relPosix === '.' && rules.allow.some((g) => g === '.' || g === '**' || g === '*');
  const allowed =
    rootAllowed ||
    rules.allow.includes('*') ||
    (rules.allow.length > 0 && picomatch(rules.allow as string[], opts)(relPosix));
  if (!allowed) {
    return { ok: false, reason: `path ${relPosix} matches no allow rule` };
  }
  return { ok: true, absolute: target, relative: relPosix };
};
