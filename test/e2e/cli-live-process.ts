/** Running the built `lily` binary as a subprocess, synchronously or in the background. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/lily.js');

export interface LilyResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

const baseEnv = (env: Record<string, string | undefined> = {}) => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env })) {
    if (v !== undefined && !['LILY_NATS_URL', 'LILY_NATS_TOKEN', 'LILY_NATS_CREDS'].includes(k)) out[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
};

export const requireBuild = (): void => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the e2e tests (npm test does).');
  }
};

/** Runs a command line elsewhere, e.g. `(argv) => ['ip', 'netns', 'exec', 'ns1', ...argv]`. */
export type Wrap = (argv: string[]) => string[];

const wrapped = (args: string[], wrap: Wrap | undefined): [string, string[]] => {
  const [cmd, ...rest] = (wrap ?? ((a) => a))([process.execPath, BIN, ...args]);
  return [cmd as string, rest];
};

/** `lily <args>` to completion (`--dir` is the caller's business; `cwd` defaults to the test's). */
export const lily = (
  args: string[],
  options: { env?: Record<string, string | undefined>; timeoutMs?: number; cwd?: string; wrap?: Wrap } = {},
): LilyResult => {
  const r = spawnSync(...wrapped(args, options.wrap), {
    ...(options.cwd ? { cwd: options.cwd } : {}),
    env: baseEnv(options.env),
    timeout: options.timeoutMs ?? 60_000,
  });
  const stdout = r.stdout.toString('utf8');
  return {
    code: r.status,
    stdout,
    stderr: r.stderr.toString('utf8'),
    json: () => JSON.parse(stdout) as Record<string, unknown>,
  };
};

/** A background `lily` process: its output so far, a wait for a line, and its end. */
export interface Background {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout (or stderr) matches. */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  /** SIGINT (then SIGKILL after 10 s); resolves with the exit code. */
  stop(): Promise<number | null>;
}

export const lilyBackground = (
  args: string[],
  env?: Record<string, string | undefined>,
  wrap?: Wrap,
): Background => {
  const child = spawn(...wrapped(args, wrap), {
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(pattern, stream = 'stdout', timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(stream === 'stdout' ? out : err)) {
        if (Date.now() > until || child.exitCode !== null) {
          throw new Error(`no ${pattern} in ${stream}:\n${out}\n--- stderr\n${err}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGINT');
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
};

/**
 * True while a process with this pid runs. A zombie (exited, not reaped: daemons are
 * reparented to an init that may not reap them in a container) counts as gone: Linux gives it
 * an empty /proc/<pid>/cmdline.
 */
export const pidAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as { code?: string }).code !== 'EPERM') return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return process.platform !== 'linux';
  }
};
