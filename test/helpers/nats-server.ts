/**
 * Starts a real nats-server for a test file (or a benchmark) on a random free loopback port
 * and stops it by pid. The binary is `$LILY_NATS_SERVER` or `nats-server` on PATH.
 *
 * @example
 * let nats: NatsServerHandle;
 * beforeAll(async () => { nats = await startNatsServer(); });
 * afterAll(() => nats.stop());
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/deployment/nats-server/network.js';

export interface NatsServerOptions {
  /** Enable JetStream with its store in the server's temp dir. */
  jetstream?: boolean;
  /** Require this auth token (`--auth`). */
  token?: string;
  /** Binary to run; default `$LILY_NATS_SERVER` or `nats-server`. */
  binary?: string;
  /** How long to wait for the server to accept connections; default 10 s. */
  startTimeoutMs?: number;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` (no credentials in it). */
  readonly url: string;
  readonly port: number;
  readonly token: string | undefined;
  /** Pid of the running server (changes on restart); undefined while halted. */
  readonly pid: number | undefined;
  /** Stops the server for good (SIGTERM, then SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
  /** Stops the server (SIGTERM, or `signal`) but keeps its port and store, for `start()`. */
  halt(signal?: NodeJS.Signals): Promise<void>;
  /** Starts a halted server again on the same port with the same store. */
  start(): Promise<void>;
  /** `halt()` then `start()`: the "nats-server restarted mid-run" case. */
  restart(): Promise<void>;
  /** The last lines the server wrote (for failure messages). */
  logs(): string;
}

const LOG_TAIL = 8_000;

export { freeLoopbackPort };

/** Resolves once a TCP client on `port` receives the server's INFO line. */
const acceptsConnections = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (chunk) => done(chunk.toString('utf8').startsWith('INFO')));
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/**
 * A detached watchdog that SIGKILLs the server if this process dies without stopping it
 * (a crashed vitest worker), and exits by itself once the server is gone.
 */
const spawnReaper = (serverPid: number, dir: string): ChildProcess => {
  const parent = process.pid;
  const script = [
    `while kill -0 ${parent} 2>/dev/null && kill -0 ${serverPid} 2>/dev/null; do sleep 1; done`,
    `if ! kill -0 ${parent} 2>/dev/null; then kill -9 ${serverPid} 2>/dev/null; rm -rf '${dir}'; fi`,
    'exit 0',
  ].join('; ');
  const reaper = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  reaper.unref();
  return reaper;
};

export const startNatsServer = async (opts: NatsServerOptions = {}): Promise<NatsServerHandle> => {
  const binary = opts.binary ?? process.env.LILY_NATS_SERVER ?? 'nats-server';
  const dir = mkdtempSync(join(tmpdir(), 'lily-nats-'));
  let port = await freeLoopbackPort();
  let child: ChildProcess | undefined;
  let reaper: ChildProcess | undefined;
  let log = '';
  let removed = false;

  const args = () => [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    ...(opts.jetstream ? ['-js', '-sd', join(dir, 'jetstream')] : []),
    ...(opts.token === undefined ? [] : ['--auth', opts.token]),
  ];

  const onExit = () => {
    if (child?.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    if (!removed) rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const launch = async (): Promise<boolean> => {
    const proc = spawn(binary, args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-LOG_TAIL);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let spawnFailure: Error | undefined;
    proc.once('error', (e) => {
      spawnFailure = e;
    });
    if (proc.pid !== undefined) reaper = spawnReaper(proc.pid, dir);
    const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) return false;
      if (spawnFailure) throw new Error(`cannot run ${binary}: ${spawnFailure.message}`);
      if (await acceptsConnections(port)) return true;
      await sleep(25);
    }
    proc.kill('SIGKILL');
    throw new Error(`nats-server did not accept connections on port ${port} in time:\n${log}`);
  };

  const halt = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    if (proc === undefined) return;
    child = undefined;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill(signal);
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited(proc);
      clearTimeout(killer);
    }
    if (reaper?.pid !== undefined && reaper.exitCode === null) reaper.kill('SIGKILL');
    reaper = undefined;
  };

  const start = async (fixedPort: boolean) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await launch()) return;
      if (!fixedPort) port = await freeLoopbackPort();
      else await sleep(200);
    }
    throw new Error(`nats-server would not start on port ${port}:\n${log}`);
  };

  await start(false);

  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    token: opts.token,
    get pid() {
      return child?.pid;
    },
    halt,
    start: () => start(true),
    restart: async () => {
      await halt();
      await start(true);
    },
    stop: async () => {
      await halt();
      process.removeListener('exit', onExit);
      rmSync(dir, { recursive: true, force: true });
      removed = true;
    },
    logs: () => log,
  };
};
