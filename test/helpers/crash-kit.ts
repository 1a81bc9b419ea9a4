import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from '../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../src/actors/bus/index.js';
import { runRequestReplySchema } from '../../src/actors/messages.js';
import { schedSubject } from '../../src/actors/subjects.js';
import { type RunId, runStream, type StoredEvent } from '../../src/contracts/index.js';
import type { EventStore } from '../../src/eventstore/event-store.js';
import { type LilyStorage, openLilyStorage } from '../../src/eventstore/storage.js';
import { stopChild, tempProject } from './lily-project.js';
import { type NatsServerHandle, startNatsServer } from './nats-server.js';

/** A policy allowing node commands, high concurrency caps, and non-idempotent steps for the operator. */
export const CRASH_POLICY = `default_principal: operator
principals:
  operator: { capabilities: ["lily:non-idempotent"] }
executors: [command, echo]
commands: [node]
workspace: { allow: ["**"], deny: [] }
caps: { timeout_ms: 600000, max_attempts: 5, concurrency: 200 }
approvals: []
require_dry_run: []
`;

/** A node one-liner that records its dispatch in `effects.log`, then sleeps `ms`. */
export const effectStep = (ms: number) =>
  `require('fs').appendFileSync('effects.log', [process.env.LILY_RUN_ID, process.env.LILY_STEP_ID, process.env.LILY_ATTEMPT].join('/') + String.fromCharCode(10)); setTimeout(() => {}, ${ms})`;

export const requestRun = async (bus: Bus, jobId: string, ns = 'default'): Promise<RunId> => {
  const reply = await bus.requestTyped(
    schedSubject(ns),
    { type: 'run.request', jobId },
    runRequestReplySchema,
    { timeoutMs: 15_000 },
  );
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.runId as RunId;
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const waitUntil = async <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
};

export const runEvents = (store: EventStore, runId: RunId): Promise<StoredEvent[]> =>
  store.readStream(runStream(runId));

/** Lines of the effects file (one per executed dispatch). */
export const effects = (dir: string): string[] => {
  const file = join(dir, 'effects.log');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
};

/** Asserts a run stream is well formed: seqs 1..n, unique ids, at most one answer per dispatch. */
export const streamProblems = (events: StoredEvent[]): string[] => {
  const problems: string[] = [];
  events.forEach((e, i) => {
    if (e.seq !== i + 1) problems.push(`seq ${e.seq} at index ${i}`);
  });
  if (new Set(events.map((e) => e.id)).size !== events.length) problems.push('duplicate event ids');
  const answers = events
    .filter((e) => e.type === 'step.succeeded')
    .map((e) => (e.data as { dispatchId: string }).dispatchId);
  if (new Set(answers).size !== answers.length) problems.push('a dispatch succeeded twice');
  return problems;
};

/** Waits until a Lily process (`engine`, `worker-<id>`) answers its sys.ping. */
export const answering = (bus: Bus, actor: string, ns = 'default') =>
  waitUntil(`${actor} answering`, async () => {
    try {
      await bus.request(`lily.${ns}.sys.ping.${actor}`, {}, { timeoutMs: 500 });
      return true;
    } catch {
      return undefined;
    }
  });

/** What every crash test stands on: a nats-server, a project with CRASH_POLICY, a client, the log. */
export interface CrashRig {
  nats: NatsServerHandle;
  project: Awaited<ReturnType<typeof tempProject>>;
  client: Bus;
  storage: LilyStorage;
  /** Daemons the test started; all SIGKILLed by `close`. */
  children: ChildProcess[];
  close(): Promise<void>;
}

export const openCrashRig = async (prefix: string): Promise<CrashRig> => {
  const nats = await startNatsServer({});
  const project = await tempProject(prefix);
  project.file('policy.yaml', CRASH_POLICY);
  const client = await connectNatsBus({ servers: nats.url, name: 'crash-test' });
  const storage = await openLilyStorage({ dir: `${project.dir}/.lily` });
  const children: ChildProcess[] = [];
  return {
    nats,
    project,
    client,
    storage,
    children,
    async close() {
      for (const c of children) await stopChild(c, 'SIGKILL');
      await client.close();
      await storage.close();
      await nats.stop();
      project.remove();
    },
  };
};
