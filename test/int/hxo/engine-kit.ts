import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/index.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { schedSubject } from '../../../src/actors/subjects.js';
import { type RunId, runStream, type StoredEvent } from '../../../src/contracts/index.js';
import type { JsonObject } from '../../../src/contracts/json.js';
import { type RunningEngine, startEngineProcess } from '../../../src/deployment/engine-process.js';
import type { RunReceipt } from '../../../src/eventstore/projections/receipt-types.js';
import { waitUntil } from '../../helpers/crash-kit.js';
import { REPO_ROOT, spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';
import { FIXTURE } from './harness.js';

/** The pack as a project lists it: the TS source, importable by the engine (vitest) and the daemons (tsx). */
export const HXO_PACK_PATH = join(REPO_ROOT, 'packs/hxo/src/index.ts');

export const HXO_POLICY = `default_principal: operator
principals:
  operator: { capabilities: ["hxo:force-merge"] }
  guest: { capabilities: [] }
executors: [command, echo, pack_backend, sql_migrate, warm_registry, prime_caches, index_assets, docs_index]
commands: [node]
workspace:
  allow: ["**"]
  deny: [".git/**", ".lily/db/**", ".lily/nats/**", ".lily/keys/**", ".lily/artifacts/**", ".lily/runs/**", ".lily/logs/**", "**/.env"]
caps: { timeout_ms: 600000, max_attempts: 5, concurrency: 16 }
approvals: []
require_dry_run: []
`;

export const WORKERS = ['w1', 'w2'] as const;

/**
 * A temp project over a copy of the HXO fixture workspace, the pack listed in its config, an
 * engine in this process and two worker processes (`w1`, `w2`) on a real nats-server.
 */
export const startHxoStack = async (jobs: Record<string, string>) => {
  const nats: NatsServerHandle = await startNatsServer({});
  const project = await tempProject('lily-hxo-engine-');
  await cp(FIXTURE, project.dir, { recursive: true });
  const configFile = join(project.dir, '.lily', 'config.yaml');
  const config = readFileSync(configFile, 'utf8').replace(
    'packs: []',
    `packs:\n  - ${JSON.stringify(HXO_PACK_PATH)}`,
  );
  writeFileSync(configFile, config);
  project.file('policy.yaml', HXO_POLICY);
  for (const [id, yaml] of Object.entries(jobs)) project.job(id, yaml);
  const log = memoryLogger();
  const engine: RunningEngine = await startEngineProcess({
    dir: project.dir,
    log,
    nats: nats.url,
    cron: false,
  });
  const client: Bus = await connectNatsBus({ servers: nats.url, name: 'hxo-test' });
  const workers = WORKERS.map((id) => spawnDaemon('worker', { dir: project.dir, nats: nats.url, id }));
  const stderr = workers.map(() => [] as string[]);
  for (const [i, w] of workers.entries()) w.stderr?.on('data', (b: Buffer) => stderr[i]?.push(b.toString()));
  for (const id of WORKERS) {
    await waitUntil(`worker ${id} answering`, async () => {
      try {
        await client.request(`lily.default.sys.ping.worker-${id}`, {}, { timeoutMs: 500 });
        return true;
      } catch {
        return undefined;
      }
    });
  }

  const request = async (
    jobId: string,
    o: { dryRun?: boolean; principal?: string; input?: JsonObject } = {},
  ) => {
    const reply = await client.requestTyped(
      schedSubject('default'),
      { type: 'run.request', jobId, ...o },
      runRequestReplySchema,
      { timeoutMs: 15_000 },
    );
    if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
    return reply.runId as RunId;
  };

  const events = (runId: RunId): Promise<StoredEvent[]> => engine.storage.events.readStream(runStream(runId));

  /** Requests a run and waits for its `run.completed`; returns the run's events. */
  const run = async (jobId: string, o: Parameters<typeof request>[1] = {}) => {
    const runId = await request(jobId, o);
    const evs = await waitUntil(
      `run ${jobId} ${runId}`,
      async () => {
        const list = await events(runId);
        return list.some((e) => e.type === 'run.completed') ? list : undefined;
      },
      120_000,
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}; worker stderr: ${stderr.map((s) => s.join('').slice(-2000)).join(' | ')}`,
      );
    });
    return { runId, events: evs };
  };

  /** `run_receipt.json` as the projector wrote it. */
  const receipt = (jobId: string, runId: RunId): Promise<RunReceipt> =>
    waitUntil(`receipt of ${runId}`, () => {
      const dir = join(project.dir, '.lily', 'runs', jobId);
      if (!existsSync(dir)) return undefined;
      const name = readdirSync(dir).find((d) => d.endsWith(runId));
      const file = name && join(dir, name, 'run_receipt.json');
      if (!file || !existsSync(file)) return undefined;
      const r = JSON.parse(readFileSync(file, 'utf8')) as RunReceipt;
      return r.status === 'succeeded' || r.status === 'failed' ? r : undefined;
    });

  const summary = (jobId: string, runId: RunId): string => {
    const dir = join(project.dir, '.lily', 'runs', jobId);
    const name = readdirSync(dir).find((d) => d.endsWith(runId)) as string;
    return readFileSync(join(dir, name, 'summary.md'), 'utf8');
  };

  const stop = async () => {
    for (const w of workers) await stopChild(w);
    await engine?.stop();
    await client?.close();
    await nats?.stop();
    project?.remove();
  };

  return { project, engine, client, log, request, run, events, receipt, summary, stop };
};

export type HxoStack = Awaited<ReturnType<typeof startHxoStack>>;

type DataOf = Record<string, unknown>;
export const ofType = (events: StoredEvent[], type: string): DataOf[] =>
  events.filter((e) => e.type === type).map((e) => e.data as DataOf);

/** The run's payload: the fanned-in shards `[{key, output}]`. */
export const shardsOf = (events: StoredEvent[]): { key: string; output: DataOf }[] => {
  const done = ofType(events, 'run.completed')[0] as { envelope: { payload: { shards: [] } } } | undefined;
  return done?.envelope.payload.shards ?? [];
};

/** Worker ids of the run's `step.started` events. */
export const workersOf = (events: StoredEvent[]): Set<string> =>
  new Set(ofType(events, 'step.started').map((d) => d.worker as string));

/** The shard keys `partition.planned` recorded. */
export const plannedKeys = (events: StoredEvent[]): string[] =>
  ((ofType(events, 'partition.planned')[0]?.shards as { key: string }[] | undefined) ?? []).map((s) => s.key);
