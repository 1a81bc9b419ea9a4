/**
 * Raw NATS limits on this machine: request/reply round trips per second (one at a time and
 * with N in flight) and publish/subscribe messages per second, between two connections to a
 * nats-server this bench starts on loopback. Measured twice: with the bare nats.js client
 * (the ceiling) and through Lily's NATS Bus adapter (JSON, validation-free handlers), so
 * the adapter's own cost is visible. `measureNatsLimits` is exported for the pipeline bench
 * to report its figures next to these, measured in the same run.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Bus } from '../src/actors/bus/bus.js';
import { connectNatsBus } from '../src/actors/bus/nats-bus.js';
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

/** Measures the raw limits against a running nats-server (see module doc). */
export const measureNatsLimits = async (opts: NatsLimitsOptions): Promise<NatsLimits> => ({
  payloadBytes: JSON.stringify(PAYLOAD).length,
  raw: await measurePair(await rawPair(opts.url, opts.token), opts),
  bus: await measurePair(await busPair(opts.url, opts.token), opts),
});

export const run = async (): Promise<Record<string, unknown>> => {
  const server = await startNatsServer();
  try {
    return { ...(await measureNatsLimits({ url: server.url })) };
  } finally {
    await server.stop();
  }
};
