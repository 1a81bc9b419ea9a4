/**
 * A worker of its own (`lily worker --creds --dir`), on one machine but sharing nothing on disk
 * with the engine: the engine daemon keeps its ledger and artifact hand-off on the managed
 * server's JetStream (`--ledger nats`), the worker has only the URL, its `.creds` file and a git
 * directory of its own. A command step runs in the worker's directory; its stdout artifact is
 * in the engine's store, same hash and provenance; `step.started` names the worker's host and
 * the commit it ran against; a re-sent dispatch is answered from the KV ledger, not run again.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import type { ExecItem } from '../../../src/actors/messages.js';
import { execSubject } from '../../../src/actors/subjects.js';
import { loadOrCreateEngineKeys } from '../../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook, noteForSeals } from '../../../src/actors/trust/engine-seals.js';
import type { RunId, StoredEvent } from '../../../src/contracts/index.js';
import { connectTarget, managedNatsTarget } from '../../../src/deployment/connect.js';
import { issueCredentialFile } from '../../../src/deployment/issue-credential.js';
import {
  type ManagedNats,
  startManagedNats,
  stopManagedNats,
} from '../../../src/deployment/nats-server/index.js';
import { type RemoteWorker, startRemoteWorker } from '../../../src/deployment/remote-worker.js';
import { type LilyStorage, openLilyStorage } from '../../../src/eventstore/storage.js';
import { CRASH_POLICY, requestRun, runEvents, waitUntil } from '../../helpers/crash-kit.js';
import { REPO_ROOT, stopChild, tempProject } from '../../helpers/lily-project.js';

const EFFECT = `require('fs').appendFileSync('effects.log', [process.env.LILY_RUN_ID, process.env.LILY_STEP_ID, process.env.LILY_ATTEMPT].join('/') + String.fromCharCode(10)); console.log('made by ' + process.env.LILY_RUN_ID)`;

let project: Awaited<ReturnType<typeof tempProject>>;
let nats: ManagedNats;
let engine: ChildProcess;
let operator: Bus;
let storage: LilyStorage;
let workerDir: string;
let credsDir: string;
let worker: RemoteWorker | undefined;
const log = memoryLogger();

const completed = (runId: RunId) =>
  waitUntil(
    'run completed',
    async () => {
      const events = await runEvents(storage.events, runId);
      return events.some((e) => e.type === 'run.completed') ? events : undefined;
    },
    60_000,
  );

beforeAll(async () => {
  project = await tempProject('lily-remote-worker-');
  project.file('policy.yaml', CRASH_POLICY);
  project.job(
    'effect',
    `id: effect
title: one effect in the worker's directory
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 60000 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${EFFECT}"], idempotent: false }
`,
  );
  project.job(
    'into-git',
    `id: into-git
title: a step pointed at the worker's .git, which the engine's policy allows
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 60000 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${EFFECT}"], cwd: .git, idempotent: false }
`,
  );
  nats = await startManagedNats(join(project.dir, '.lily'));
  // No --nats: the engine finds the project's managed server and mints its own credential.
  engine = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'src/deployment/daemon-main.ts'),
      'engine',
      '--dir',
      project.dir,
      '--ledger',
      'nats',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  operator = await connectTarget(
    managedNatsTarget({ keys: join(project.dir, '.lily', 'keys') }, 'default', nats.url, 'operator'),
    'test-operator',
    memoryLogger(),
  );
  await waitUntil('engine answering', async () =>
    engine.exitCode !== null
      ? Promise.reject(new Error(readFileSync(join(project.dir, '.lily/logs/engine.log'), 'utf8')))
      : (await operator
            .request('lily.default.sys.ping.engine', {}, { timeoutMs: 500 })
            .catch(() => undefined))
        ? true
        : undefined,
  );
  storage = await openLilyStorage({ dir: join(project.dir, '.lily') });
  workerDir = mkdtempSync(join(tmpdir(), 'lily-own-dir-'));
  execFileSync('git', ['init', '-q', workerDir]);
  writeFileSync(join(workerDir, 'README'), 'a workspace of its own\n');
  execFileSync('git', ['-C', workerDir, 'add', '.']);
  execFileSync('git', ['-C', workerDir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'one']);
  credsDir = mkdtempSync(join(tmpdir(), 'lily-creds-'));
  const creds = join(credsDir, 'w.creds');
  await issueCredentialFile({ dir: project.dir, role: 'worker', out: creds });
  worker = await startRemoteWorker({ dir: workerDir, nats: nats.url, creds, id: 'far', log });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await operator?.close();
  if (engine) await stopChild(engine);
  await storage?.close();
  if (project) {
    await stopManagedNats(join(project.dir, '.lily'), { graceMs: 2_000 });
    project.remove();
  }
  if (workerDir) rmSync(workerDir, { recursive: true, force: true });
  if (credsDir) rmSync(credsDir, { recursive: true, force: true });
}, 60_000);

describe('a worker with only NATS, its credential and a directory of its own', () => {
  it('runs the step in its directory; the artifact is in the engine store; the attempt names host and commit', async () => {
    const runId = await requestRun(operator, 'effect');
    const events = await completed(runId);
    expect(events.find((e) => e.type === 'run.completed')?.data).toMatchObject({ status: 'succeeded' });
    expect(readFileSync(join(workerDir, 'effects.log'), 'utf8')).toBe(`${runId}/s/1\n`);
    expect(existsSync(join(project.dir, 'effects.log'))).toBe(false);
    const started = events.find((e) => e.type === 'step.started') as StoredEvent;
    const commit = execFileSync('git', ['-C', workerDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    expect(started.data).toMatchObject({
      worker: 'far',
      host: hostname(),
      env: { commit, dirty: 'false', workspace: workerDir, node: process.version },
    });
    const succeeded = events.find((e) => e.type === 'step.succeeded') as StoredEvent<'step.succeeded'>;
    const [ref] = (succeeded.data as { artifacts: { sha256: string }[] }).artifacts;
    expect(ref).toBeDefined();
    const local = await storage.artifacts.get(ref?.sha256 as string);
    expect(local?.ref).toEqual(ref);
    expect(new TextDecoder().decode(local?.bytes)).toBe(`made by ${runId}\n`);
  }, 90_000);

  it('a re-sent dispatch is answered from the KV ledger: no second effect, its replies again', async () => {
    const runId = await requestRun(operator, 'effect');
    const events = await completed(runId);
    const dispatched = events.find((e) => e.type === 'step.dispatched') as StoredEvent;
    const before = readFileSync(join(workerDir, 'effects.log'), 'utf8');
    // The same dispatch again, as the engine re-sends one whose reply was lost: published with
    // an engine credential (only the engine may dispatch), watched on the run's inbox.
    const asEngine = await connectTarget(
      managedNatsTarget({ keys: join(project.dir, '.lily', 'keys') }, 'default', nats.url, 'engine'),
      'test-engine',
      memoryLogger(),
    );
    try {
      const replies: { type: string; id: string }[] = [];
      asEngine.subscribe(`lily.default.in.${runId}`, (m) => {
        replies.push(...(m.json() as { events: { type: string; id: string }[] }).events);
      });
      await asEngine.flush();
      // Sealed from the log exactly as the run host seals a re-send (docs/decisions/030).
      const book = emptySealBook();
      for (const e of events) noteForSeals(book, runId, e);
      const seals = new EngineSeals(await loadOrCreateEngineKeys(join(project.dir, '.lily', 'keys')));
      const item = seals.seal(
        { kind: 'step', runId, jobId: 'effect', data: dispatched.data } as ExecItem,
        book,
        false,
        Date.now(),
      );
      asEngine.publish(execSubject('default', 'command'), { items: [item] });
      await waitUntil('stored replies', () =>
        replies.some((r) => r.type === 'step.succeeded') ? true : undefined,
      );
      const first = events
        .filter((e) => ['step.started', 'step.succeeded'].includes(e.type))
        .map((e) => e.id);
      expect(replies.map((r) => r.id).sort()).toEqual(first.sort());
    } finally {
      await asEngine.close();
    }
    expect(readFileSync(join(workerDir, 'effects.log'), 'utf8')).toBe(before);
    expect(log.entries.some((e) => e.event === 'dispatch.duplicate')).toBe(false);
  }, 90_000);

  it("the worker's own directory rules refuse a path the engine allowed: .git of its workspace", async () => {
    const runId = await requestRun(operator, 'into-git');
    const events = await completed(runId);
    const failed = events.find((e) => e.type === 'step.failed') as StoredEvent;
    expect(failed.data).toMatchObject({ error: { code: 'job_policy_denied' }, retryable: false });
    expect(JSON.stringify(failed.data)).toContain('.git');
    expect(existsSync(join(workerDir, '.git', 'effects.log'))).toBe(false);
  }, 90_000);
});
