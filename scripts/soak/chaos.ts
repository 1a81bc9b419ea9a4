/**
 * The chaos loop: at seeded random moments it SIGKILLs a worker or the engine and starts it
 * again, or restarts nats-server. The first three actions cover each kind once (in a seeded
 * order); engine kills stop at `engineKillsUntil`, so the engine that serves the end of the
 * soak has run long enough for its idle memory to mean something.
 */
import { deploymentState, killDaemon, recordOf, restartDaemon, restartNats, sleep } from './deployment.js';

export type ChaosKind = 'worker' | 'engine' | 'nats';

export interface ChaosCounts {
  engineKills: number;
  workerKills: number;
  natsRestarts: number;
}

export interface ChaosOptions {
  dir: string;
  lilyRoot: string;
  random: () => number;
  /** Seconds between actions: uniform in [min, max]. */
  intervalS: [number, number];
  /** Called for each action, for the log. */
  note: (line: string) => void;
  /** The environment restarted daemons get (default this process's). */
  env?: NodeJS.ProcessEnv;
}

export class Chaos {
  readonly counts: ChaosCounts = { engineKills: 0, workerKills: 0, natsRestarts: 0 };
  /** Pids of workers killed (effects written under them may be re-run: see effects.ts). */
  readonly killedWorkerPids = new Set<number>();
  /** Pids of every worker seen. */
  readonly workerPids = new Set<number>();
  /** Pids of every engine seen, in order. */
  readonly enginePids: number[] = [];
  readonly errors: string[] = [];
  #stopped = false;
  #loop: Promise<void> | undefined;
  #until = 0;
  #engineKillsUntil = 0;

  constructor(private readonly o: ChaosOptions) {}

  async noteProcesses(): Promise<void> {
    const state = await deploymentState(this.o.lilyRoot);
    for (const p of state.processes) {
      if (p.role === 'worker') this.workerPids.add(p.pid);
      if (p.role === 'engine' && this.enginePids.at(-1) !== p.pid) this.enginePids.push(p.pid);
    }
  }

  /** Acts until `until` (epoch ms); kills the engine only before `engineKillsUntil`. */
  start(until: number, engineKillsUntil: number): void {
    this.#until = until;
    this.#engineKillsUntil = engineKillsUntil;
    this.#loop = this.#run();
  }

  /** Stops after the action in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  #next(index: number): ChaosKind {
    const engineAllowed = Date.now() < this.#engineKillsUntil;
    if (index < 3) {
      const order: ChaosKind[] =
        this.o.random() < 0.5 ? ['worker', 'nats', 'engine'] : ['nats', 'engine', 'worker'];
      const kind = order[index] as ChaosKind;
      if (kind !== 'engine' || engineAllowed) return kind;
    }
    const r = this.o.random();
    if (r < 0.4) return 'worker';
    if (r < 0.7 && engineAllowed) return 'engine';
    return 'nats';
  }

  async #run(): Promise<void> {
    const [min, max] = this.o.intervalS;
    for (let i = 0; ; i++) {
      const wait = (min + this.o.random() * (max - min)) * 1000;
      const at = Date.now() + wait;
      while (!this.#stopped && Date.now() < at) await sleep(100);
      if (this.#stopped || Date.now() >= this.#until) return;
      const kind = this.#next(i);
      try {
        await this.act(kind);
      } catch (e) {
        this.errors.push(`${kind}: ${(e as Error).message}`);
        this.o.note(`chaos ${kind} failed: ${(e as Error).message}`);
      }
    }
  }

  async act(kind: ChaosKind): Promise<void> {
    const { dir, lilyRoot, random } = this.o;
    if (kind === 'nats') {
      const pid = await restartNats(lilyRoot, 500 + Math.round(random() * 2_000));
      this.counts.natsRestarts += 1;
      this.o.note(`chaos: nats-server restarted (pid ${pid})`);
      return;
    }
    const state = await deploymentState(lilyRoot);
    const workers = state.processes.filter((p) => p.role === 'worker');
    const target =
      kind === 'engine'
        ? recordOf(state, 'engine')
        : (workers[Math.floor(random() * workers.length)] ?? workers[0]);
    if (!target) throw new Error('no worker to kill');
    await killDaemon(target);
    if (kind === 'engine') this.counts.engineKills += 1;
    else {
      this.counts.workerKills += 1;
      this.killedWorkerPids.add(target.pid);
    }
    await sleep(300 + Math.round(random() * 2_000));
    const fresh = await restartDaemon(dir, lilyRoot, target.id, this.o.env);
    await this.noteProcesses();
    this.o.note(`chaos: ${target.id} SIGKILLed (pid ${target.pid}), restarted as pid ${fresh.pid}`);
  }
}
