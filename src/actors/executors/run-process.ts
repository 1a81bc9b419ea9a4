import { spawn } from 'node:child_process';

export interface ProcessSpec {
  /** argv[0] is what the program sees as its name. */
  argv: readonly string[];
  /** The executable to start (absolute, from `prepareCommand`); default: argv[0], looked up on `env.PATH`. */
  file?: string;
  cwd: string;
  env: Record<string, string>;
  /** Kill the whole process group after this long (SIGTERM, then SIGKILL after `killGraceMs`). */
  timeoutMs?: number;
  killGraceMs?: number;
  /** Bytes kept of each of stdout and stderr; the rest is counted but dropped. */
  maxOutputBytes: number;
  stdin?: string;
  /** Aborting kills the process group as a timeout does. */
  signal?: AbortSignal;
}

export interface ProcessResult {
  exitCode: number | null;
  /** The signal that ended the process, when one did. */
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
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
 * Runs argv without a shell, as the leader of a new process group, so a timeout or abort
 * kills every process it started. Never throws: spawn failures come back in `spawnError`.
 */
export const runProcess = (spec: ProcessSpec): Promise<ProcessResult> =>
  new Promise((resolve) => {
    const started = performance.now();
    const [argv0, ...args] = spec.argv as [string, ...string[]];
    const out = new CappedSink(spec.maxOutputBytes);
    const err = new CappedSink(spec.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let spawnError: ProcessResult['spawnError'];
    const child = spawn(spec.file ?? argv0, args, {
      argv0,
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
    const stop = (why: 'timeout' | 'abort') => {
      if (why === 'timeout') timedOut = true;
      else aborted = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), spec.killGraceMs ?? 2_000).unref();
    };
    const timer =
      spec.timeoutMs === undefined ? undefined : setTimeout(() => stop('timeout'), spec.timeoutMs);
    const onAbort = () => stop('abort');
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {});
    child.stdin.end(spec.stdin ?? '');
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = { code: e.code ?? 'ESPAWN', message: e.message };
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      // Orphans of the group (a backgrounded grandchild) die with the step.
      killGroup('SIGKILL');
      resolve({
        exitCode: code,
        signal,
        timedOut,
        aborted,
        durationMs: performance.now() - started,
        stdout: out.buffer(),
        stderr: err.buffer(),
        stdoutBytes: out.total,
        stderrBytes: err.total,
        ...(spawnError ? { spawnError } : {}),
      });
    });
  });
