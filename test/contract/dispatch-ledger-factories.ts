/**
 * The adapters of the DispatchLedger port, as a table: the contract suite runs against each.
 * A harness stands for one deployment: every ledger it opens is another worker sharing the
 * same entries, and `kill` makes one worker stale the way its adapter judges staleness.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DispatchLedger, DispatchOwner } from '../../src/actors/ledger/dispatch-ledger.js';
import { createInMemoryDispatchLedger } from '../../src/actors/ledger/in-memory-dispatch-ledger.js';
import { openKvDispatchLedger } from '../../src/actors/ledger/kv-dispatch-ledger.js';
import { openLmdbDispatchLedger } from '../../src/actors/ledger/lmdb-dispatch-ledger.js';
import { SimulatedClock } from '../../src/contracts/clock.js';
import { bindLilyBuckets, ensureLilyBuckets } from '../../src/eventstore/jetstream/buckets.js';
import { type LilyStorage, openLilyStorage } from '../../src/eventstore/storage.js';
import { systemClock } from '../../src/eventstore/system-ports.js';
import { tempDir } from '../helpers/eventstore.js';
import { startNatsServer } from '../helpers/nats-server.js';

export interface LedgerHarness {
  /** A ledger for a new worker over the shared entries. */
  open(worker: string): Promise<DispatchLedger>;
  /** Makes this ledger's owner stale by the adapter's rule; the other open ledgers stay live. */
  kill(ledger: DispatchLedger): Promise<void>;
  /** Lets `ms` pass on the clock the ledgers read. */
  elapse(ms: number): Promise<void>;
  /** Closes and reopens the backing store (ledgers opened afterwards see what was written). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface LedgerFactory {
  name: string;
  create(): Promise<LedgerHarness>;
}

const STALE_AFTER_MS = 30_000;

/** In memory: owners go stale when their heartbeats stop for longer than `staleAfterMs`. */
const inMemory: LedgerFactory = {
  name: 'in-memory',
  async create() {
    const entries = new Map();
    const clock = new SimulatedClock(1_700_000_000_000);
    const live = new Set<DispatchLedger>();
    let pid = 1_000;
    return {
      async open(worker) {
        const owner: DispatchOwner = { worker, pid: ++pid, host: 'test' };
        const ledger = createInMemoryDispatchLedger({ entries, owner, clock, staleAfterMs: STALE_AFTER_MS });
        live.add(ledger);
        return ledger;
      },
      async kill(ledger) {
        live.delete(ledger);
        clock.advance(STALE_AFTER_MS + 1);
        for (const other of live) await other.heartbeat();
      },
      async elapse(ms) {
        clock.advance(ms);
      },
      async restart() {},
      async close() {},
    };
  },
};

/** A real process standing for a worker: its pid is alive until `kill`. */
const spawnOwnerProcess = (): ChildProcess =>
  spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/** LMDB in a temp `.lily`: owners go stale when their process is gone (real pids, really killed). */
const lmdb: LedgerFactory = {
  name: 'lmdb',
  async create() {
    const { dir, cleanup } = tempDir('ledger');
    let storage: LilyStorage = await openLilyStorage({ dir });
    const owners = new Map<DispatchLedger, ChildProcess>();
    return {
      async open(worker) {
        const child = spawnOwnerProcess();
        const owner: DispatchOwner = { worker, pid: child.pid as number, host: 'test' };
        const ledger = openLmdbDispatchLedger(storage, { owner, clock: systemClock });
        owners.set(ledger, child);
        return ledger;
      },
      async kill(ledger) {
        const child = owners.get(ledger);
        if (!child) throw new Error('not a ledger of this harness');
        child.kill('SIGKILL');
        await exited(child);
      },
      async elapse(ms) {
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
      async restart() {
        await storage.close();
        storage = await openLilyStorage({ dir });
      },
      async close() {
        for (const child of owners.values()) {
          child.kill('SIGKILL');
          await exited(child);
        }
        await storage.close();
        cleanup();
      },
    };
  },
};

/**
 * NATS JetStream KV on a real nats-server: every ledger is a worker with its own connection
 * (as on its own machine); owners go stale when their heartbeats stop for `staleAfterMs` by the
 * claimer's clock (simulated here, as in memory); a restart restarts the server on its store.
 */
const natsKv: LedgerFactory = {
  name: 'nats-kv',
  async create() {
    const server = await startNatsServer({ jetstream: true });
    const connections: NatsConnection[] = [];
    const connectWorker = async () => {
      const nc = await connect({ servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
      connections.push(nc);
      return nc;
    };
    const ns = 'contract';
    await ensureLilyBuckets(await connectWorker(), ns, { replicas: 1 });
    const clock = new SimulatedClock(1_700_000_000_000);
    const live = new Set<DispatchLedger>();
    let pid = 1_000;
    return {
      async open(worker) {
        const { ledger: kv } = await bindLilyBuckets(await connectWorker(), ns);
        const owner: DispatchOwner = { worker, pid: ++pid, host: `host-${worker}` };
        const ledger = openKvDispatchLedger({ kv, owner, clock, staleAfterMs: STALE_AFTER_MS });
        live.add(ledger);
        return ledger;
      },
      async kill(ledger) {
        live.delete(ledger);
        clock.advance(STALE_AFTER_MS + 1);
        for (const other of live) await other.heartbeat();
      },
      async elapse(ms) {
        clock.advance(ms);
      },
      async restart() {
        await server.restart();
      },
      async close() {
        for (const nc of connections) await nc.close();
        await server.stop();
      },
    };
  },
};

export const LEDGER_FACTORIES: LedgerFactory[] = [inMemory, lmdb, natsKv];
