import { spawn } from 'node:child_process';
import { createStepCgroup, findsProgram } from './step-cgroup.js';

export interface ProcessSpec {
  /** argv[0] is what the program sees as its name. */
  argv: readonly string[];
  /** The executable to start (absolute, from `prepareCommand`); default: argv[0], looked up on `env.PATH`. */
  file?: string;
  cwd: string;
  env: Record<string, string>;
  /** Stop the step after this long (SIGTERM, then SIGKILL after `killGraceMs`). */
  timeoutMs?: number;
  /** How long a process may take to exit after SIGTERM before SIGKILL (default 2 s). */
  killGraceMs?: number;
  /** Bytes kept of each of stdout and stderr; the rest is counted but dropped. */
  maxOutputBytes: number;
  stdin?: string;
  /** Aborting stops the step as a timeout does. */
  signal?: AbortSignal;
  /** Use a cgroup per step where available (default true); false: the process group only. */
  cgroup?: boolean;
}

export interface ProcessResult {
  exitCode: number | null;
  /** The signal that ended the process, when one did. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Whether the step had to be SIGKILLed after its grace period. */
  killed: boolean;
  /** What held the step's processes: its own cgroup (daemons included) or its process group. */
  containment: 'cgroup' | 'process_group';
  /** The pid of the program (also the id of its process group). */
  pid?: number;
  durationMs: number;
  stdout: Buffer;
  stderr: Buffer;
  stdoutBytes: number;
  stderrBytes: number;
  /** Set when the program could not be started (ENOENT, EACCES, ...). */
  spawnError?: { code: string; message: string };
}

/** Keeps the first `cap` bytes of a stream and counts the rest. */
class CappedSink {
  readonly chunks: Buffer[] = [];
  kept = 0;
  total = 0;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.cap - this.kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Runs argv without a shell interpreting it, as the leader of a new process group and, where
 * cgroup v2 is writable, in a cgroup of its own (step-cgroup.ts), so a timeout or abort stops
 * every process it started: SIGTERM to each, SIGKILL to all after `killGraceMs`. When it ends,
 * whatever it left behind (a backgrounded child, a `setsid` daemon in the cgroup) is killed.
 * Never throws: spawn failures come back in `spawnError`.
 */
export const runProcess = (spec: ProcessSpec): Promise<ProcessResult> =>
  new Promise((resolve) => {
    const started = performance.now();
    const [argv0, ...args] = spec.argv as [string, ...string[]];
    const program = spec.file ?? argv0;
    // A program that cannot be found is spawned directly, so it fails with spawn's own ENOENT.
    // In a cgroup the step starts as a shell that joins it and execs the resolved program (the
    // one the policy checked) under the name argv[0] gave (step-cgroup.ts).
    const cgroup =
      spec.cgroup !== false && findsProgram(program, spec.env, spec.cwd) ? createStepCgroup() : undefined;
    const [file, ...fileArgs] = (cgroup ? cgroup.wrap(argv0, program, args) : [program, ...args]) as [
      string,
      ...string[],
    ];
    const out = new CappedSink(spec.maxOutputBytes);
    const err = new CappedSink(spec.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let killed = false;
    let spawnError: ProcessResult['spawnError'];
    const child = spawn(file, fileArgs, {
      // Bash started as `sh` reads no startup file (~/.bashrc, BASH_ENV), whatever its stdin.
      argv0: cgroup ? 'sh' : argv0,
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // The group is already gone.
      }
    };
    let graceTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'abort') => {
      if (timedOut || aborted) return;
      if (why === 'timeout') timedOut = true;
      else aborted = true;
      killGroup('SIGTERM');
      cgroup?.signal('SIGTERM');
      graceTimer = setTimeout(() => {
        killed = true;
        cgroup?.kill();
        killGroup('SIGKILL');
      }, spec.killGraceMs ?? 2_000);
      graceTimer.unref();
    };
    const timer =
      spec.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), spec.timeoutMs);
    const onAbort = () => stop('abort');
    if (spec.signal?.aborted) queueMicrotask(onAbort);
    else spec.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {});
    child.stdin.end(spec.stdin ?? '');
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = { code: e.code ?? 'ESPAWN', message: e.message };
    });
    // When the program exits, what it left behind dies too: a background child or daemon that
    // still holds its stdout would otherwise keep the step open until it exits.
    child.on('exit', () => {
      killGroup('SIGKILL');
      cgroup?.kill();
    });
    child.on('close', async (code, signal) => {
      if (timer) clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      spec.signal?.removeEventListener('abort', onAbort);
      const durationMs = performance.now() - started;
      // Orphans of the group (a backgrounded grandchild) and of the cgroup (a daemon) die with
      // the step.
      killGroup('SIGKILL');
      await cgroup?.release();
      resolve({
        exitCode: code,
        signal,
        timedOut,
        aborted,
        killed,
        containment: cgroup ? 'cgroup' : 'process_group',
        ...(child.pid === undefined ? {} : { pid: child.pid }),
        durationMs,
        stdout: out.buffer(),
        stderr: err.buffer(),
        stdoutBytes: out.total,
        stderrBytes: err.total,
        ...(spawnError ? { spawnError } : {}),
      });
    });
  });
