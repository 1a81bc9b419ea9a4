/**
 * Raw NATS limits on this machine: request/reply round trips per second (one at a time and
 * with N in flight) and publish/subscribe messages per second, between two connections to a
 * nats-server this bench starts on loopback. Measured twice: with the bare nats.js client
 * (the ceiling) and through Lily's NATS Bus adapter (JSON, validation-free handlers), so
 * the adapter's own cost is visible. `measureNatsLimits` is exported for the pipeline bench
 * to report its figures next to these, measured in the same run.
 */
import { spawn } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Bus } from '../src/actors/bus/bus.js';
import { connectNatsBus } from '../src/actors/bus/nats-bus.js';
import { REPO_ROOT, stopChild } from '../test/helpers/lily-project.js';
import { startNatsServer } from '../test/helpers/nats-server.js';

export const name = 'nats';

export interface NatsLimitsOptions {
  url: string;
  token?: string;
  /** Length of each timed loop; default 1,500 ms. */
  durationMs?: number;
  /** Concurrency levels for request/reply; default [8, 64, 256]. */
  inFlight?: number[];
  /** Messages for the pub/sub figure; default 100,000. */
  pubSubMessages?: number;
}

export interface RoundTrips {
  sequentialPerSec: number;
  sequentialP50Us: number;
  sequentialP99Us: number;
  /** Round trips per second with N requests in flight, keyed by N. */
  inFlightPerSec: Record<string, number>;
}

export interface NatsLimits {
  payloadBytes: number;
  raw: { requestReply: RoundTrips; pubSubMsgsPerSec: number };
  bus: { requestReply: RoundTrips; pubSubMsgsPerSec: number };
  crossProcess: CrossProcessRoundTrip;
}

/** What a measurement needs from a client pair: request, serve echo, publish, subscribe-count. */
interface Pair {
  request(): Promise<unknown>;
  publish(): void;
  flush(): Promise<void>;
  onReceived(cb: () => void): void;
  close(): Promise<void>;
}

const PAYLOAD = { runId: '01HZX3K9V1M2N3P4Q5R6S7T8V9', stepId: 'step_1', attempt: 1, output: { ok: true } };
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

const rawPair = async (url: string, token: string | undefined): Promise<Pair> => {
  const opts = { servers: url, ...(token ? { token } : {}) };
  const requester: NatsConnection = await connect(opts);
  const responder: NatsConnection = await connect(opts);
  const body = new TextEncoder().encode(JSON.stringify(PAYLOAD));
  responder.subscribe('bench.echo', { callback: (_e, m) => void m.respond(m.data) });
  let received: () => void = () => {};
  responder.subscribe('bench.ps', { callback: () => received() });
  await responder.flush();
  return {
    request: () => requester.request('bench.echo', body, { timeout: 10_000 }),
    publish: () => requester.publish('bench.ps', body),
    flush: () => requester.flush(),
    onReceived: (cb) => {
      received = cb;
    },
    close: async () => {
      await Promise.all([requester.close(), responder.close()]);
    },
  };
};

const busPair = async (url: string, token: string | undefined): Promise<Pair> => {
  const opts = { servers: url, ...(token ? { token } : {}) };
  const requester: Bus = await connectNatsBus(opts);
  const responder: Bus = await connectNatsBus(opts);
  responder.subscribe('bench.echo', (m) => void m.respond(m.json()));
  let received: () => void = () => {};
  responder.subscribe('bench.ps', (m) => {
    m.json();
    received();
  });
  await responder.flush();
  return {
    request: () => requester.request('bench.echo', PAYLOAD, { timeoutMs: 10_000 }).then((m) => m.json()),
    publish: () => requester.publish('bench.ps', PAYLOAD),
    flush: () => requester.flush(),
    onReceived: (cb) => {
      received = cb;
    },
    close: async () => {
      await Promise.all([requester.close(), responder.close()]);
    },
  };
};

const roundTrips = async (pair: Pair, durationMs: number, levels: number[]): Promise<RoundTrips> => {
  for (let i = 0; i < 200; i++) await pair.request(); // warm up
  const latencies: number[] = [];
  let end = performance.now() + durationMs;
  const started = performance.now();
  while (performance.now() < end) {
    const t = performance.now();
    await pair.request();
    latencies.push((performance.now() - t) * 1000);
  }
  const sequentialPerSec = latencies.length / ((performance.now() - started) / 1000);
  latencies.sort((x, y) => x - y);
  const inFlightPerSec: Record<string, number> = {};
  for (const n of levels) {
    let count = 0;
    end = performance.now() + durationMs;
    const t0 = performance.now();
    const worker = async () => {
      while (performance.now() < end) {
        await pair.request();
        count++;
      }
    };
    await Promise.all(Array.from({ length: n }, worker));
    inFlightPerSec[String(n)] = Math.round(count / ((performance.now() - t0) / 1000));
  }
  return {
    sequentialPerSec: Math.round(sequentialPerSec),
    sequentialP50Us: Math.round(percentile(latencies, 0.5)),
    sequentialP99Us: Math.round(percentile(latencies, 0.99)),
    inFlightPerSec,
  };
};

const pubSub = async (pair: Pair, messages: number): Promise<number> => {
  let got = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((resolve) => {
    resolveAll = resolve;
  });
  pair.onReceived(() => {
    if (++got === messages) resolveAll();
  });
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) {
    pair.publish();
    if (i % 5_000 === 4_999) await pair.flush();
  }
  await pair.flush();
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 30_000).unref());
  await Promise.race([all, timeout]);
  return Math.round(got / ((performance.now() - t0) / 1000));
};

const measurePair = async (pair: Pair, opts: NatsLimitsOptions) => {
  try {
    const requestReply = await roundTrips(pair, opts.durationMs ?? 1_500, opts.inFlight ?? [8, 64, 256]);
    const pubSubMsgsPerSec = await pubSub(pair, opts.pubSubMessages ?? 100_000);
    return { requestReply, pubSubMsgsPerSec };
  } finally {
    await pair.close();
  }
};

/** The echo responder of `measureCrossProcess`: bare nats.js in a process of its own. */
const RESPONDER = `
import { connect } from '@nats-io/transport-node';
const nc = await connect(JSON.parse(process.argv[1]));
nc.subscribe('bench.xp.echo', { callback: (_e, m) => void m.respond(m.data) });
await nc.flush();
process.stdout.write('ready\\n');
`;

export interface CrossProcessRoundTrip {
  /** One round trip at a time, back to back. */
  p50Us: number;
  p99Us: number;
  /** One round trip at a time, each after `pauseMs` of idle (both processes wait on their sockets). */
  afterPauseP50Us: number;
  afterPauseP99Us: number;
  pauseMs: number;
}

/**
 * Request/reply one at a time between this process and another one (bare nats.js on both
 * sides): what a dispatch's two hops cost at the least, engine to worker and back. Measured
 * back to back, then with an idle pause before each request, as a W3 run one at a time leaves
 * the worker idle between its steps: on a virtual machine a process woken from idle runs
 * slower, and this shows by how much on this one.
 */
export const measureCrossProcess = async (
  url: string,
  o: { token?: string; requests?: number; pauseMs?: number } = {},
): Promise<CrossProcessRoundTrip> => {
  const opts = { servers: url, ...(o.token ? { token: o.token } : {}) };
  const child = spawn(process.execPath, ['--input-type=module', '-e', RESPONDER, JSON.stringify(opts)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const nc = await connect(opts);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`cross-process responder exited (${code})`)));
    });
    const body = new TextEncoder().encode(JSON.stringify(PAYLOAD));
    const times = async (n: number, pauseMs: number): Promise<number[]> => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
        const t = performance.now();
        await nc.request('bench.xp.echo', body, { timeout: 10_000 });
        out.push((performance.now() - t) * 1000);
      }
      return out.sort((x, y) => x - y);
    };
    await times(200, 0); // warm up
    const requests = o.requests ?? 1_000;
    const pauseMs = o.pauseMs ?? 4;
    const back = await times(requests, 0);
    const paused = await times(Math.ceil(requests / 3), pauseMs);
    return {
      p50Us: Math.round(percentile(back, 0.5)),
      p99Us: Math.round(percentile(back, 0.99)),
      afterPauseP50Us: Math.round(percentile(paused, 0.5)),
      afterPauseP99Us: Math.round(percentile(paused, 0.99)),
      pauseMs,
    };
  } finally {
    await nc.close();
    await stopChild(child);
  }
};

/** Measures the raw limits against a running nats-server (see module doc). */
export const measureNatsLimits = async (opts: NatsLimitsOptions): Promise<NatsLimits> => ({
  payloadBytes: JSON.stringify(PAYLOAD).length,
  raw: await measurePair(await rawPair(opts.url, opts.token), opts),
  bus: await measurePair(await busPair(opts.url, opts.token), opts),
  crossProcess: await measureCrossProcess(opts.url, opts.token ? { token: opts.token } : {}),
});

export const run = async (): Promise<Record<string, unknown>> => {
  const server = await startNatsServer();
  try {
    return { ...(await measureNatsLimits({ url: server.url })) };
  } finally {
    await server.stop();
  }
};
