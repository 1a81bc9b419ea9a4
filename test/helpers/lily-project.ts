import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initProject } from '../../src/project/init.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** A fresh project (`lily init`) in a temp dir; `job(id, yaml)` adds a job spec. */
export const tempProject = async (prefix = 'lily-proj-') => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await initProject(dir, {});
  return {
    dir,
    job(id: string, yaml: string) {
      writeFileSync(join(dir, '.lily', 'jobs', `${id}.job.yaml`), yaml);
    },
    file(rel: string, text: string) {
      writeFileSync(join(dir, '.lily', rel), text);
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/**
 * Starts a Lily daemon (engine or worker) from the TypeScript sources in a child process, so
 * integration tests exercise the current code without a build.
 */
export const spawnDaemon = (
  role: 'engine' | 'worker',
  args: { dir: string; nats: string; token?: string; id?: string; extra?: string[] },
): ChildProcess => {
  const argv = [
    '--import',
    'tsx',
    join(REPO_ROOT, 'src/deployment/daemon-main.ts'),
    role,
    '--dir',
    args.dir,
    '--nats',
    args.nats,
  ];
  if (args.id) argv.push('--id', args.id);
  argv.push(...(args.extra ?? []));
  return spawn(process.execPath, argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...(args.token ? { LILY_NATS_TOKEN: args.token } : {}) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
};

/** Sends a signal and waits for the child to exit; resolves with its exit code. */
export const stopChild = (
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<number | null> =>
  new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      res(code);
    });
    child.kill(signal);
  });
