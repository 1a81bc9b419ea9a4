import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/index.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { eventSubject, jobEventsPattern, schedSubject } from '../../../src/actors/subjects.js';
import { parseJobId, type RunId, runStream, type StoredEvent } from '../../../src/contracts/index.js';
import { type RunningEngine, startEngineProcess } from '../../../src/deployment/engine-process.js';
import { spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

let nats: NatsServerHandle;
let project: Awaited<ReturnType<typeof tempProject>>;
let engine: RunningEngine;
let client: Bus;
let worker: ReturnType<typeof spawnDaemon>;
const log = memoryLogger();

beforeAll(async () => {
  nats = await startNatsServer({});
  project = await tempProject();
  project.job(
    'pipe',
    `id: pipe
title: three steps
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 60000 }
bindings:
  steps:
    - { id: a, run: [node, -e, "console.log(JSON.stringify({n: 2}))"], json_output: true, timeout_ms: 20000 }
    - { id: b, executor: echo, input: { n: { from: step, step: a, path: json.n } } }
    - { id: c, run: [node, -e, "const i = JSON.parse(process.env.LILY_INPUT); console.log(JSON.stringify({sq: i.n * i.n}))"], json_output: true, input: { n: { from: step, step: b, path: n } }, timeout_ms: 20000 }
`,
  );
  project.job(
    'council',
    `id: council
title: a small council
target: { kind: blueprint, id: council.v1 }
runtime: { timeout_ms: 60000 }
bindings:
  members:
    - { id: alice, run: [node, -e, "console.log(JSON.stringify({vote: 'yes'}))"], timeout_ms: 20000 }
    - { id: bob, run: [node, -e, "console.log(JSON.stringify({vote: 'no'}))"], timeout_ms: 20000 }
  synthesis: { run: [node, -e, "const i = JSON.parse(process.env.LILY_INPUT); console.log(JSON.stringify({votes: Object.keys(i).length}))"], timeout_ms: 20000 }
`,
  );
  engine = await startEngineProcess({ dir: project.dir, log, nats: nats.url });
  worker = spawnDaemon('worker', { dir: project.dir, nats: nats.url, id: 'w1' });
  client = await connectNatsBus({ servers: nats.url, name: 'test-client' });
}, 60_000);

afterAll(async () => {
  if (worker) await stopChild(worker);
  await engine?.stop();
  await client?.close();
  await nats?.stop();
  project?.remove();
});

const requestRun = async (jobId: string) => {
  const reply = await client.requestTyped(
    schedSubject('default'),
    { type: 'run.request', jobId },
    runRequestReplySchema,
    { timeoutMs: 10_000 },
  );
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply.runId as RunId;
};

const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `timed out waiting for ${what}: ${JSON.stringify(log.entries.filter((e) => e.level !== 'info' && e.level !== 'debug').slice(-5))}`,
  );
};

const completed = (runId: RunId) =>
  waitFor(`run ${runId}`, async () => {
    const events = await engine.storage.events.readStream(runStream(runId));
    return events.some((e) => e.type === 'run.completed') ? events : undefined;
  });

describe('engine + separate worker process over a real nats-server', () => {
  it('runs pipeline.v1 end to end, publishes events on their subjects, writes receipts', async () => {
    const seen: string[] = [];
    const sub = client.subscribe(jobEventsPattern('default', parseJobId('pipe')), (m) => {
      seen.push(m.subject);
    });
    const runId = await requestRun('pipe');
    const events = await completed(runId);
    const done = events.find((e) => e.type === 'run.completed') as StoredEvent;
    expect(done.data).toMatchObject({
      status: 'succeeded',
      envelope: { payload: { c: { json: { sq: 4 } } } },
    });
    const workers = new Set(
      events.filter((e) => e.type === 'step.started').map((e) => (e.data as { worker: string }).worker),
    );
    expect([...workers]).toEqual(['w1']);
    await waitFor('event subjects', async () => (seen.length >= events.length ? true : undefined));
    expect(seen).toContain(eventSubject('default', parseJobId('pipe'), runId, 'run.completed'));
    sub.unsubscribe();
    const runsDir = join(project.dir, '.lily', 'runs', 'pipe');
    const dir = await waitFor(
      'receipts',
      // The projector writes them after run.completed is in the log.
      async () =>
        existsSync(runsDir)
          ? readdirSync(runsDir, { withFileTypes: true }).find((d) => d.name.endsWith(runId))?.name
          : undefined,
    );
    for (const f of ['run_receipt.json', 'summary.md', 'events.jsonl'])
      expect(existsSync(join(runsDir, dir, f))).toBe(true);
    const receipt = JSON.parse(readFileSync(join(runsDir, dir, 'run_receipt.json'), 'utf8'));
    expect(receipt).toMatchObject({ runId, status: 'succeeded' });
  });

  it('runs council.v1: members in parallel, synthesis reads them', async () => {
    const runId = await requestRun('council');
    const events = await completed(runId);
    const done = events.find((e) => e.type === 'run.completed') as StoredEvent;
    expect(done.data).toMatchObject({
      status: 'succeeded',
      envelope: { payload: { verdict: { json: { votes: 2 } } } },
    });
  });

  it('refuses a request for an unknown job with a stable code and writes nothing', async () => {
    const before = await engine.storage.events.lastPosition();
    const reply = await client.requestTyped(
      schedSubject('default'),
      { type: 'run.request', jobId: 'nope' },
      runRequestReplySchema,
      { timeoutMs: 10_000 },
    );
    expect(reply).toMatchObject({ ok: false, error: { code: 'job_not_found' } });
    expect(await engine.storage.events.lastPosition()).toBe(before);
  });
});
