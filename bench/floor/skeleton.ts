/**
 * The floor of W3 under design.md's rules: the least an engine following them can do for a run
 * of three sequential `echo` steps on a worker in another process, with none of Lily's code.
 * It keeps every rule that costs work and drops everything Lily adds on top of them:
 *
 * - every event (the 18 of a Lily W3 run, somewhat smaller) is written to LMDB and fsynced before
 *   anything that depends on it is acknowledged: the request's reply after the launch's commit,
 *   `run.completed` after the last one; a turn's appends share one transaction (group commit);
 * - each event is then republished on its `evt` subject (design.md §4);
 * - each step is a dispatch to the worker's queue group and a reply on `in` (§2), the dispatch
 *   sealed with Ed25519 (one signature for a turn's dispatches) and the reply proven with an
 *   HMAC under its dispatch's reply key, both checked (§8);
 * - dispatches leave before the commit that records them (Lily's decision 038), since replay
 *   re-derives them.
 *
 * Left out, and on top of it in Lily: schema validation, the policy gate's rules (the decision
 * is recorded, always `allow`), XState, traces, the job's spec, receipts, retries, timers and
 * cancellation. What a run costs here, against what the target allows, says whether the
 * target can be met within the design (decision 044).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { join } from 'node:path';
import { connect, type Msg } from '@nats-io/transport-node';
import { open, type RootDatabase } from 'lmdb';
import { REPO_ROOT, stopChild } from '../../test/helpers/lily-project.js';
import {
  type Claims,
  claimsHash,
  type Dispatch,
  type Fact,
  proofHolds,
  type Reply,
  replyKeyOf,
  SUBJECTS,
  sealedBytes,
  sha256,
} from './protocol.js';

export const STEPS = 3;
/** Dispatches sealed under one signature at most, as Lily's desk (decision 034). */
const SEAL_BATCH = 16;
/** Fields an event of Lily's log carries besides its type and data, at about their sizes. */
const JOB = { jobId: 'w3', blueprint: 'echo-chain@1', spec: 'sha256:'.padEnd(71, '0'), actor: 'engine' };

interface Run {
  id: string;
  seq: number;
  /** The step whose reply is awaited, and its dispatch. */
  step: number;
  dispatchId: string;
}

const dispatchIdOf = (run: Run, step: number): string => `${run.id}-d${step}`;

/** A run's appends of one turn, and what is sent once they are written or committed. */
interface Work {
  run: Run;
  events: { type: string; data: unknown }[];
  dispatch?: Claims & { input: unknown };
  ack?: Msg;
}

export interface FloorW3 {
  /** Requests one run; resolves with its id and latency (request → `run.completed` seen), ms. */
  runOne(): Promise<{ runId: string; latencyMs: number }>;
  /** The events the log holds for a run, in order. */
  eventsOf(runId: string): { type: string; data: unknown }[];
  workerPid: number | undefined;
  /** Events written so far, and their bytes. */
  written(): { events: number; bytes: number };
  /** Replies dropped: no such run or dispatch, or a proof that does not hold. */
  rejected(): number;
  stop(): Promise<void>;
}

export const startFloorW3 = async (o: { url: string; dir: string }): Promise<FloorW3> => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const replySecret = randomBytes(32);
  const worker = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'bench/floor/worker.ts'),
      o.url,
      publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await workerReady(worker);
  // The options of a Lily environment (src/eventstore/lmdb-env.ts): fsync at every commit.
  const root: RootDatabase<Buffer, string> = open({
    path: o.dir,
    noSync: false,
    noMetaSync: false,
    encoding: 'binary',
    compression: false,
    cache: false,
  });
  const engine = await connect({ servers: o.url, name: 'floor-engine' });
  const client = await connect({ servers: o.url, name: 'floor-client' });
  const runs = new Map<string, Run>();
  let nextRun = 0;
  let events = 0;
  let bytes = 0;
  let rejected = 0;

  let turn: Work[] = [];
  const queue = (w: Work) => {
    if (turn.length === 0) setImmediate(commitTurn);
    turn.push(w);
  };
  const event = (run: Run, type: string, data: unknown): Buffer => {
    run.seq += 1;
    const e = {
      id: `${run.id}-${run.seq}`,
      stream: `run-${run.id}`,
      seq: run.seq,
      type,
      at: new Date().toISOString(),
      ...JOB,
      data,
    };
    return Buffer.from(JSON.stringify(e));
  };
  const commitTurn = () => {
    const work = turn;
    turn = [];
    const published: [string, Buffer][] = [];
    root.transactionSync(() => {
      for (const w of work)
        for (const e of w.events) {
          const b = event(w.run, e.type, e.data);
          root.putSync(`${w.run.id}:${String(w.run.seq).padStart(8, '0')}`, b);
          published.push([SUBJECTS.evt(w.run.id, e.type), b]);
          events += 1;
          bytes += b.length;
        }
      // Dispatches leave before the commit and its fsync block the thread.
      const out = work.flatMap((w) => (w.dispatch ? [w.dispatch] : []));
      for (let i = 0; i < out.length; i += SEAL_BATCH) {
        const batch = out.slice(i, i + SEAL_BATCH);
        const hashes = batch.map(({ input: _, ...claims }) => claimsHash(claims));
        const sig = sign(null, sealedBytes(hashes), privateKey).toString('base64');
        for (const { input, ...claims } of batch) {
          const d: Dispatch = {
            claims,
            input,
            replyKey: replyKeyOf(replySecret, claims.id),
            seal: { hashes, sig },
          };
          engine.publish(SUBJECTS.exec, JSON.stringify(d));
        }
      }
      if (out.length > 0) engine.flush().catch(() => undefined);
    });
    // Durable: now the events are republished and what waited for them is acknowledged.
    for (const [subject, b] of published) engine.publish(subject, b);
    for (const w of work) w.ack?.respond(`{"runId":"${w.run.id}"}`);
  };

  const dispatchStep = (run: Run, step: number, input: unknown): Work['dispatch'] => {
    run.step = step;
    run.dispatchId = dispatchIdOf(run, step);
    return {
      id: run.dispatchId,
      runId: run.id,
      step,
      executor: 'echo',
      digest: sha256(JSON.stringify(input)),
      input,
    };
  };
  const stepEvents = (run: Run, step: number) => [
    { type: 'policy.requested', data: { step: `step_${step}`, executor: 'echo', capabilities: [] } },
    {
      type: 'policy.decided',
      data: { step: `step_${step}`, decision: 'allow', rule: 'default', programs: [] },
    },
    {
      type: 'step.dispatched',
      data: { step: `step_${step}`, dispatchId: dispatchIdOf(run, step), attempt: 1 },
    },
  ];

  engine.subscribe(SUBJECTS.run, {
    callback: (_e, m) => {
      const req = m.json<{ input: unknown }>();
      const run: Run = {
        id: `r${(nextRun++).toString(36).padStart(8, '0')}`,
        seq: 0,
        step: 0,
        dispatchId: '',
      };
      runs.set(run.id, run);
      queue({
        run,
        events: [
          { type: 'run.requested', data: { input: req.input, trigger: 'manual' } },
          { type: 'run.started', data: { plan: 'sha256:'.padEnd(71, '0') } },
          ...stepEvents(run, 1),
        ],
        dispatch: dispatchStep(run, 1, req.input),
        ack: m,
      });
    },
  });
  engine.subscribe(SUBJECTS.reply, {
    callback: (_e, m) => {
      const reply = m.json<Reply>();
      const facts = reply.facts;
      const first = facts[0] as Fact | undefined;
      const run = first ? runs.get(first.runId) : undefined;
      const answers = run && facts.every((f) => f.dispatchId === run.dispatchId && f.runId === run.id);
      if (
        !run ||
        !answers ||
        !proofHolds(replyKeyOf(replySecret, run.dispatchId), JSON.stringify(facts), reply.proof)
      ) {
        rejected += 1;
        return;
      }
      const output = facts.find((f) => f.type === 'step.succeeded')?.output;
      const recorded = facts.map((f) => ({ type: f.type, data: f }));
      if (run.step < STEPS) {
        const step = run.step + 1;
        queue({
          run,
          events: [...recorded, ...stepEvents(run, step)],
          dispatch: dispatchStep(run, step, output),
        });
      } else {
        runs.delete(run.id);
        queue({ run, events: [...recorded, { type: 'run.completed', data: { output } }] });
      }
    },
  });
  await engine.flush();

  // The load client: a request, then `run.completed` on its `evt` subject (which may come first).
  const waiting = new Map<string, () => void>();
  const early = new Set<string>();
  client.subscribe(SUBJECTS.completed, {
    callback: (_e, m) => {
      const runId = m.subject.split('.')[2] as string;
      const done = waiting.get(runId);
      if (done) {
        waiting.delete(runId);
        done();
      } else early.add(runId);
    },
  });
  await client.flush();
  const runOne = async () => {
    const t0 = performance.now();
    const reply = await client.request(SUBJECTS.run, '{"input":{"message":"hello"}}', { timeout: 10_000 });
    const { runId } = reply.json<{ runId: string }>();
    if (!early.delete(runId)) await new Promise<void>((done) => waiting.set(runId, done));
    return { runId, latencyMs: performance.now() - t0 };
  };

  return {
    runOne,
    eventsOf: (runId) =>
      [...root.getRange({ start: `${runId}:`, end: `${runId}:~` })].map(
        ({ value }) => JSON.parse(value.toString()) as { type: string; data: unknown },
      ),
    workerPid: worker.pid,
    written: () => ({ events, bytes }),
    rejected: () => rejected,
    stop: async () => {
      await stopChild(worker);
      await Promise.all([engine.close(), client.close()]);
      await root.close();
    },
  };
};

const workerReady = (child: ChildProcess): Promise<void> =>
  new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`floor worker exited (${code}) before it was ready`)));
    child.stdout?.once('data', () => resolve());
  });
