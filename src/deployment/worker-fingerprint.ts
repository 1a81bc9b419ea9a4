import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { LILY_VERSION } from '../actors/runtime/version.js';
import type { AttemptPlace } from '../actors/worker/dispatch-facts.js';

const git = (dir: string, args: string[]): Promise<string | undefined> =>
  new Promise((resolve) => {
    execFile('git', ['-C', dir, ...args], { timeout: 5_000, encoding: 'utf8' }, (err, stdout) =>
      resolve(err ? undefined : stdout.trim()),
    );
  });

/**
 * What an attempt runs against on a worker with a workspace of its own (`lily worker --dir`): the
 * worker's Node, platform, architecture and Lily version, the workspace directory, and for a git
 * workspace its commit (`git rev-parse HEAD`) and whether it had uncommitted changes to tracked
 * files (`git status --porcelain --untracked-files=no`); `commit: none` elsewhere. Read just
 * before each attempt (a `git pull` between two steps shows), shared by attempts starting at once.
 */
export const workspaceFingerprint = async (dir: string): Promise<Record<string, string>> => {
  const [commit, status] = await Promise.all([
    git(dir, ['rev-parse', 'HEAD']),
    git(dir, ['status', '--porcelain', '--untracked-files=no']),
  ]);
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    lily: LILY_VERSION,
    workspace: dir,
    commit: commit && /^[0-9a-f]{40,64}$/.test(commit) ? commit : 'none',
    ...(commit && status !== undefined ? { dirty: String(status.length > 0) } : {}),
  };
};

/** `step.started`'s place for a worker: its host, and with a workspace of its own, the fingerprint. */
export const attemptPlace = (workspace?: string): (() => Promise<AttemptPlace>) => {
  const host = hostname();
  if (workspace === undefined) return async () => ({ host });
  let pending: Promise<AttemptPlace> | undefined;
  return () => {
    pending ??= workspaceFingerprint(workspace)
      .then((env) => ({ host, env }))
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
};
