/**
 * Engine memory over a soak, observed from outside the engine: its RSS (split into anonymous and
 * file-backed pages) from /proc, its V8 heap after a full GC through the inspector, the LMDB
 * file size, and how many runs had finished at that moment. The soak starts the deployment with
 * `NODE_OPTIONS=--inspect=127.0.0.1:0`, so every daemon listens on a random loopback port and
 * prints it to its log; a sample connects to the engine's (Chrome DevTools protocol over a
 * WebSocket), asks `HeapProfiler.collectGarbage`, then `Runtime.getHeapUsage`. Nothing in the
 * engine is changed for this.
 */
import { readFileSync, statSync } from 'node:fs';
import { memoryMb } from './deployment.js';

export interface MemorySample {
  /** Seconds since the load phase started. */
  tS: number;
  runsFinished: number;
  runsRequested: number;
  enginePid: number;
  rssMb?: number;
  anonMb?: number;
  fileMb?: number;
  /** V8 heap used right after a forced full GC (undefined when the inspector was not reachable). */
  heapAfterGcMb?: number;
  lmdbBytes?: number;
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** `--inspect=127.0.0.1:0` for the daemons (kept with whatever NODE_OPTIONS already holds). */
export const inspectorEnv = (env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => ({
  ...env,
  NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --inspect=127.0.0.1:0`.trim(),
});

/** The inspector URL the daemon logging to `logFile` printed last (a restarted one appends its own). */
export const inspectorUrl = (logFile: string): string | undefined => {
  try {
    const text = readFileSync(logFile, 'utf8');
    const all = [...text.matchAll(/Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/g)];
    return all.at(-1)?.[1];
  } catch {
    return undefined;
  }
};

/** The part of a WebSocket `heapAfterGc` uses (Node's global one, or a stand-in in tests). */
export type InspectorSocket = Pick<WebSocket, 'send' | 'close'> & {
  onerror: ((e: unknown) => void) | null;
  onopen: ((e: unknown) => void) | null;
  onmessage: ((m: MessageEvent) => void) | null;
};

const globalSocket = (url: string): InspectorSocket => {
  const WS = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (!WS) throw new Error('no WebSocket in this Node (run it with --experimental-websocket)');
  return new WS(url) as unknown as InspectorSocket;
};

/** A message from the inspector: a reply to a command (`id`) or an event (`method`). */
export interface InspectorMessage {
  id?: number;
  method?: string;
  params?: unknown;
  result?: Record<string, unknown>;
  error?: unknown;
}

/**
 * One conversation with the inspector behind `wsUrl`: `start` sends the first commands once
 * connected, `answer` sees every message and returns the result when it has it. Settles once:
 * closing a socket that is still connecting fails it, and Node's WebSocket then fires `error`
 * again, so the handlers are dropped before it is closed (the process may die meanwhile).
 */
export const inspectorSession = <T>(
  wsUrl: string,
  timeoutMs: number,
  start: (send: (m: object) => void) => void,
  answer: (msg: InspectorMessage, send: (m: object) => void) => T | undefined,
  open: (url: string) => InspectorSocket = globalSocket,
): Promise<T> =>
  new Promise((resolve, reject) => {
    let ws: InspectorSocket;
    try {
      ws = open(wsUrl);
    } catch (e) {
      reject(e);
      return;
    }
    let settled = false;
    const finish = (err: Error | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.onerror = null;
      ws.onopen = null;
      ws.onmessage = null;
      try {
        ws.close();
      } catch {
        // Already closed or failed: nothing to release.
      }
      if (err) reject(err);
      else resolve(value as T);
    };
    const send = (m: object) => ws.send(JSON.stringify(m));
    const timer = setTimeout(() => finish(new Error('inspector timed out')), timeoutMs);
    ws.onerror = () => finish(new Error(`cannot reach the inspector at ${wsUrl}`));
    ws.onopen = () => start(send);
    ws.onmessage = (m: MessageEvent) => {
      const msg = JSON.parse(String(m.data)) as InspectorMessage;
      if (msg.error) return finish(new Error(JSON.stringify(msg.error)));
      const value = answer(msg, send);
      if (value !== undefined) finish(undefined, value);
    };
  });

/** Forces a full GC in the process behind `wsUrl` and returns its heap use in bytes. */
export const heapAfterGc = (
  wsUrl: string,
  timeoutMs = 15_000,
  open: (url: string) => InspectorSocket = globalSocket,
): Promise<number> =>
  inspectorSession<number>(
    wsUrl,
    timeoutMs,
    (send) => send({ id: 1, method: 'HeapProfiler.collectGarbage' }),
    (msg, send) => {
      if (msg.id === 1) send({ id: 2, method: 'Runtime.getHeapUsage' });
      if (msg.id !== 2) return undefined;
      const used = msg.result?.usedSize;
      return typeof used === 'number' ? used : Number.NaN;
    },
    open,
  );

/** Takes one sample of the engine (pid and log file of the live one) and the log size. */
export const sampleMemory = async (o: {
  tS: number;
  runsFinished: number;
  runsRequested: number;
  engine: { pid: number; log: string };
  lmdbFile: string;
  note: (line: string) => void;
}): Promise<MemorySample> => {
  const mem = memoryMb(o.engine.pid);
  const url = inspectorUrl(o.engine.log);
  let heap: number | undefined;
  if (url) {
    heap = await heapAfterGc(url).catch((e: Error) => {
      o.note(`memory: heap after GC not taken: ${e.message}`);
      return undefined;
    });
  }
  let lmdbBytes: number | undefined;
  try {
    lmdbBytes = statSync(o.lmdbFile).size;
  } catch {
    lmdbBytes = undefined;
  }
  return {
    tS: round(o.tS, 1),
    runsFinished: o.runsFinished,
    runsRequested: o.runsRequested,
    enginePid: o.engine.pid,
    ...(mem ? { rssMb: mem.rss, anonMb: mem.anon, fileMb: mem.file } : {}),
    ...(heap !== undefined && Number.isFinite(heap) ? { heapAfterGcMb: round(heap / 2 ** 20) } : {}),
    ...(lmdbBytes !== undefined ? { lmdbBytes } : {}),
  };
};

/** Least-squares slope of y over x (undefined with fewer than 3 points or no spread in x). */
export const slope = (points: readonly { x: number; y: number }[]): number | undefined => {
  if (points.length < 3) return undefined;
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.x - mx) * (p.y - my);
    sxx += (p.x - mx) ** 2;
  }
  return sxx === 0 ? undefined : sxy / sxx;
};

/**
 * What the series says: per engine process (a chaos kill starts a new heap), the heap after GC
 * per finished run (the slope, KB per run: flat means about 0), its first and last value; the
 * RSS the same way; the LMDB file per run (final size over runs, and the slope).
 */
export const memoryVerdict = (series: readonly MemorySample[], runsInLog: number) => {
  const byEngine = new Map<number, MemorySample[]>();
  for (const s of series) byEngine.set(s.enginePid, [...(byEngine.get(s.enginePid) ?? []), s]);
  const engines = [...byEngine].map(([pid, xs]) => {
    const heap = xs.filter((s) => s.heapAfterGcMb !== undefined);
    const heapSlope = slope(heap.map((s) => ({ x: s.runsFinished, y: (s.heapAfterGcMb as number) * 1024 })));
    const rss = xs.filter((s) => s.rssMb !== undefined);
    const rssSlope = slope(rss.map((s) => ({ x: s.runsFinished, y: (s.rssMb as number) * 1024 })));
    return {
      pid,
      samples: xs.length,
      runsServed: (xs.at(-1)?.runsFinished ?? 0) - (xs[0]?.runsFinished ?? 0),
      heapAfterGcMb: { first: heap[0]?.heapAfterGcMb, last: heap.at(-1)?.heapAfterGcMb },
      heapKbPerFinishedRun: heapSlope === undefined ? undefined : round(heapSlope, 3),
      rssMb: { first: rss[0]?.rssMb, last: rss.at(-1)?.rssMb },
      rssKbPerFinishedRun: rssSlope === undefined ? undefined : round(rssSlope, 3),
    };
  });
  const last = series.at(-1);
  const lmdb = series.filter((s) => s.lmdbBytes !== undefined);
  const lmdbSlope = slope(lmdb.map((s) => ({ x: s.runsFinished, y: s.lmdbBytes as number })));
  return {
    engines,
    lmdbBytesPerRun:
      last?.lmdbBytes !== undefined && runsInLog > 0 ? Math.round(last.lmdbBytes / runsInLog) : undefined,
    lmdbBytesPerFinishedRunSlope: lmdbSlope === undefined ? undefined : Math.round(lmdbSlope),
  };
};
