/**
 * Liveness over a soak: a stretch of `stallS` seconds in which runs wait and none becomes final
 * is a stall (chaos kills and restarts take seconds, a step times out in 15). At the first tick
 * of each stall the engine is looked at from outside, so a stall says where the engine was:
 * its threads' states and kernel wait channels (/proc), a native backtrace of every thread (gdb,
 * when installed), and the JavaScript stack its main thread was in (the inspector's
 * `Debugger.pause`; no answer means the main thread was blocked outside JavaScript).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type InspectorSocket, inspectorSession, inspectorUrl } from './memory.js';

/** No run final for this long while runs wait is a stall (the soak fails). */
export const STALL_S = 60;

export interface Stall {
  /** Seconds since the load phase started: the last progress before the stall, and its end (null: it never ended). */
  fromS: number;
  toS: number | null;
  inFlight: number;
  enginePid: number;
  /** The file the engine's dump was written to. */
  dump: string;
}

const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '?';
  }
};

/** Each thread of `pid`: its name, state (R running, S sleeping, D in the kernel...), wait channel and kernel stack. */
const threads = (pid: number): string =>
  readdirSync(`/proc/${pid}/task`)
    .map((tid) => {
      const dir = `/proc/${pid}/task/${tid}`;
      const state = read(`${dir}/stat`)
        .replace(/^.*\) /, '')
        .split(' ')[0];
      return `thread ${tid} ${read(`${dir}/comm`)} state ${state} wchan ${read(`${dir}/wchan`)}\n${read(`${dir}/stack`)}`;
    })
    .join('\n');

const gdbBacktraces = (pid: number): string => {
  const r = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'thread apply all bt 25'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) return `gdb: ${r.error.message}`;
  return r.stdout
    .split('\n')
    .filter((l) => !l.startsWith('[New ') && !l.startsWith('warning'))
    .join('\n');
};

/** The main thread's JavaScript stack, paused for a moment through the inspector. */
export const pausedStack = (
  wsUrl: string,
  timeoutMs = 5_000,
  open?: (url: string) => InspectorSocket,
): Promise<string> =>
  inspectorSession<string>(
    wsUrl,
    timeoutMs,
    (send) => {
      send({ id: 1, method: 'Debugger.enable' });
      send({ id: 2, method: 'Debugger.pause' });
    },
    (msg, send) => {
      if (msg.method !== 'Debugger.paused') return undefined;
      const frames = (
        msg.params as {
          callFrames?: { functionName: string; url: string; location: { lineNumber: number } }[];
        }
      ).callFrames;
      send({ id: 3, method: 'Debugger.resume' });
      return (frames ?? [])
        .map((f) => `  at ${f.functionName || '(anonymous)'} (${f.url}:${f.location.lineNumber + 1})`)
        .join('\n');
    },
    open,
  );

/** Writes what the engine is doing to `file` (never throws: a dead engine is a finding too). */
export const dumpEngine = async (pid: number, log: string, file: string): Promise<void> => {
  const parts: string[] = [`engine pid ${pid} at ${new Date().toISOString()}`];
  try {
    parts.push('--- threads (/proc)', threads(pid));
  } catch (e) {
    parts.push(`--- threads: ${(e as Error).message}`);
  }
  const url = inspectorUrl(log);
  parts.push(
    '--- JavaScript stack of the main thread (inspector)',
    url
      ? await pausedStack(url).catch((e: Error) => `no answer (${e.message}): blocked outside JavaScript?`)
      : 'no inspector URL in the log',
  );
  parts.push('--- native backtraces (gdb)', gdbBacktraces(pid));
  writeFileSync(file, `${parts.join('\n')}\n`);
};

/** Watches progress; call `observe` every few seconds. */
export class StallWatch {
  readonly stalls: Stall[] = [];
  #finished = -1;
  #progressS = 0;
  #open: Stall | undefined;

  constructor(
    private readonly o: {
      stallS: number;
      dumpDir: string;
      note: (line: string) => void;
      /** How the engine is dumped (default `dumpEngine`). */
      dump?: (pid: number, log: string, file: string) => Promise<void>;
    },
  ) {}

  async observe(
    tS: number,
    finished: number,
    inFlight: number,
    engine: { pid: number; log: string } | undefined,
  ): Promise<void> {
    if (finished !== this.#finished || inFlight === 0) {
      this.#finished = finished;
      this.#progressS = tS;
      if (this.#open) {
        this.#open.toS = tS;
        this.o.note(`stall over after ${Math.round(tS - this.#open.fromS)} s`);
        this.#open = undefined;
      }
      return;
    }
    if (this.#open || tS - this.#progressS < this.o.stallS || !engine) return;
    const dump = join(this.o.dumpDir, `stall-${Math.round(tS)}s-engine-${engine.pid}.txt`);
    this.#open = { fromS: this.#progressS, toS: null, inFlight, enginePid: engine.pid, dump };
    this.stalls.push(this.#open);
    this.o.note(
      `STALL: no run final for ${Math.round(tS - this.#progressS)} s with ${inFlight} waiting; dumping the engine to ${dump}`,
    );
    await (this.o.dump ?? dumpEngine)(engine.pid, engine.log, dump);
  }
}
