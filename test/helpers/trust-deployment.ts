/**
 * A managed deployment (the project's own nats-server with its JWT trust chain, an engine and a
 * worker process, each with the credential of its role) and raw NATS clients holding a worker's
 * or an operator's credential: the attacker's seat in the issue 12 attack tests. Forgeries are
 * sent with @nats-io/transport-node directly, never through Lily's bus code.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, credsAuthenticator, errors, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { type MemoryLogger, memoryLogger } from '../../src/actors/logger.js';
import { runRequestReplySchema } from '../../src/actors/messages.js';
import { schedSubject } from '../../src/actors/subjects.js';
import { type RunId, runStream, type StoredEvent } from '../../src/contracts/index.js';
import { type RunningEngine, startEngineProcess } from '../../src/deployment/engine-process.js';
import { issueCredential } from '../../src/deployment/nats-auth/creds.js';
import { loadOrCreateNatsTrust } from '../../src/deployment/nats-auth/keys.js';
import type { LilyRole } from '../../src/deployment/nats-auth/roles.js';
import { startManagedNats, stopManagedNats } from '../../src/deployment/nats-server/index.js';
import { type RunningWorker, startWorkerProcess } from '../../src/deployment/worker-process.js';
import { tempProject } from './lily-project.js';

export const NS = 'default';

/** A raw NATS client of one role, with the permission violations the server reported to it. */
export interface RawClient {
  role: LilyRole;
  nc: NatsConnection;
  violations: { operation: string; subject: string }[];
}

/** Every message on the namespace, as an engine-credential subscriber saw it. */
export interface Captured {
  subject: string;
  data: Uint8Array;
  json(): unknown;
}

export interface TrustDeployment {
  dir: string;
  effects: string;
  engine: RunningEngine;
  worker: RunningWorker;
  engineLog: MemoryLogger;
  workerLog: MemoryLogger;
  url: string;
  /** A raw client of `role` with a credential the project's account signed. */
  client(role: LilyRole): Promise<RawClient>;
  /** Messages seen by an engine-role subscriber on `lily.<ns>.>` (dispatches, replies, events). */
  captured: Captured[];
  /** The engine-role raw client (it may publish anything of the namespace: "past the permissions"). */
  spy: NatsConnection;
  /** Requests a run of `jobId` (as an operator would) and returns its id. */
  request(jobId: string, o?: { input?: Record<string, unknown>; dryRun?: boolean }): Promise<RunId>;
  /** The run's events once it completed. */
  completed(runId: RunId, timeoutMs?: number): Promise<StoredEvent[]>;
  events(runId: RunId): Promise<StoredEvent[]>;
  /** Whether the effect `name` of run `runId` was written (the program that writes it ran). */
  effect(name: string, runId: RunId | string): boolean;
  stop(): Promise<void>;
}

export const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

/** A node one-liner that writes the effect `name` of the run it runs in (`LILY_RUN_ID`). */
export const writes = (effects: string, name: string, delayMs = 0): string[] => [
  'node',
  '-e',
  `setTimeout(() => require('fs').writeFileSync(require('path').join(${JSON.stringify(effects)}, ${JSON.stringify(name)} + '-' + process.env.LILY_RUN_ID), 'ran'), ${delayMs})`,
];

/** A pipeline.v1 job as JSON (valid YAML). */
export const pipelineJob = (
  id: string,
  steps: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) =>
  JSON.stringify({
    id,
    title: id,
    target: { kind: 'blueprint', id: 'pipeline.v1' },
    bindings: { steps },
    ...extra,
  });

export const startTrustDeployment = async (o: {
  policy: string;
  jobs: (effects: string) => Record<string, string>;
}): Promise<TrustDeployment> => {
  const project = await tempProject('lily-trust-');
  const effects = join(project.dir, 'effects');
  mkdirSync(effects);
  project.file('policy.yaml', o.policy);
  for (const [id, text] of Object.entries(o.jobs(effects))) project.job(id, text);
  const root = join(project.dir, '.lily');
  const nats = await startManagedNats(root);
  const engineLog = memoryLogger();
  const workerLog = memoryLogger();
  const engine = await startEngineProcess({ dir: project.dir, log: engineLog, cron: false });
  // Its own connection with a worker credential; the engine's storage (one LMDB handle per process).
  const worker = await startWorkerProcess({
    dir: project.dir,
    id: 'w1',
    log: workerLog,
    shared: { project: engine.project, storage: engine.storage },
  });
  const trust = await loadOrCreateNatsTrust(join(root, 'keys'));
  const open: NatsConnection[] = [];
  const client = async (role: LilyRole): Promise<RawClient> => {
    const issued = await issueCredential(trust.account, { role, ns: NS, executors: ['command', 'echo'] });
    const nc = await connect({
      servers: nats.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(issued.text)),
      inboxPrefix: issued.inboxPrefix,
      name: `attacker-${role}`,
    });
    open.push(nc);
    const violations: RawClient['violations'] = [];
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === 'error' && s.error instanceof errors.PermissionViolationError) {
          violations.push({ operation: s.error.operation, subject: s.error.subject });
        }
      }
    })();
    return { role, nc, violations };
  };
  const spyClient = await client('engine');
  const captured: Captured[] = [];
  spyClient.nc.subscribe(`lily.${NS}.>`, {
    callback: (_e, m: Msg) => {
      captured.push({ subject: m.subject, data: m.data, json: () => m.json() });
    },
  });
  await spyClient.nc.flush();
  const events = (runId: RunId) => engine.storage.events.readStream(runStream(runId));
  return {
    dir: project.dir,
    effects,
    engine,
    worker,
    engineLog,
    workerLog,
    url: nats.url,
    client,
    captured,
    spy: spyClient.nc,
    async request(jobId, r = {}) {
      const reply = await engine.bus.requestTyped(
        schedSubject(NS),
        { type: 'run.request', jobId, ...r },
        runRequestReplySchema,
        { timeoutMs: 10_000 },
      );
      if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
      return reply.runId as RunId;
    },
    completed: (runId, timeoutMs = 30_000) =>
      waitFor(
        `run ${runId} to complete`,
        async () => {
          const all = await events(runId);
          return all.some((e) => e.type === 'run.completed') ? all : undefined;
        },
        timeoutMs,
      ),
    events,
    effect: (name, runId) => existsSync(join(effects, `${name}-${runId}`)),
    async stop() {
      for (const nc of open) await nc.close().catch(() => undefined);
      await worker.stop().catch(() => undefined);
      await engine.stop().catch(() => undefined);
      await stopManagedNats(root, { graceMs: 2_000 });
      project.remove();
    },
  };
};

/**
 * What a run did, independent of ids and times: each event's type with its step (and gate),
 * in log order. Two runs of the same job that did the same thing have the same shape.
 */
export const shape = (events: readonly StoredEvent[]): string[] =>
  events.map((e) => {
    const d = e.data as { stepId?: string; gateId?: string; status?: string; decision?: string };
    return [e.type, d.stepId, d.gateId, d.status, d.decision].filter((x) => x !== undefined).join(':');
  });

/** The `data` of the events of one type. */
export const dataOf = (events: readonly StoredEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

/** Log entries of a refusal (`message.rejected` / `dispatch.refused`) with a reason, since `from`. */
export const refusals = (log: MemoryLogger, from = 0) =>
  log.entries
    .slice(from)
    .filter((e) => e.level === 'warn' && (e.event === 'message.rejected' || e.event === 'dispatch.refused'));
