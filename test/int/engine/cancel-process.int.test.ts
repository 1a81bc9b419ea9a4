import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/index.js';
import { stepCgroupsAvailable } from '../../../src/actors/executors/step-cgroup.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { schedSubject } from '../../../src/actors/subjects.js';
import { type RunId, runStream, type StoredEvent } from '../../../src/contracts/index.js';
import { type RunningEngine, startEngineProcess } from '../../../src/deployment/engine-process.js';
import { projectReceipt } from '../../../src/eventstore/projections/receipt.js';
import { spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

/**
 * Cancellation reaches the process: a cancelled run, a run that times out and a run whose
 * parallel step fails each stop the command still running on a separate worker process: its
 * process is gone (checked by pid) and its effect is never written. Where this machine gives
 * steps their own cgroup (Linux with cgroup v2 writable: CI runs as root), a daemon the step
 * started with `setsid` (node's `detached: true`) dies too.
 */

let nats: NatsServerHandle;
let project: Awaited<ReturnType<typeof tempProject>>;
let engine: RunningEngine;
let client: Bus;
let worker: ReturnType<typeof spawnDaemon>;
const log = memoryLogger();
// The worker is a separate process with the same privileges: it gets cgroups when this one can.
const cgroups = stepCgroupsAvailable();

/**
 * A step that records its pid, starts a `setsid` daemon (recording its pid), and writes its
 * effect file (and the daemon its own) only after 60 s: long after any cancel of these tests.
 */
const longStep = (name: string) => {
  const daemon = `setTimeout(() => require('fs').writeFileSync('${name}.daemon-effect', 'x'), 60000)`;
  const script = [
    "const fs = require('fs');",
    `const d = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(daemon)}], { detached: true, stdio: 'ignore' });`,
    'd.unref();',
    `fs.writeFileSync('${name}.daemon.pid', String(d.pid));`,
    `fs.writeFileSync('${name}.pid', String(process.pid));`,
    `setTimeout(() => fs.writeFileSync('${name}.effect', 'x'), 60000);`,
  ].join(' ');
  return `[node, -e, ${JSON.stringify(script)}]`;
};

beforeAll(async () => {
  nats = await startNatsServer({});
  project = await tempProject();
  project.file(
    'policy.yaml',
    `default_principal: operator
principals:
  operator: { capabilities: ['lily:non-idempotent'] }
executors: [command, echo]
commands: [node]
workspace: { allow: ['**'], deny: ['.lily/**'] }
caps: { timeout_ms: 3600000 }
`,
  );
  project.job(
    'cancel-me',
    `id: cancel-me
title: a non-idempotent step cancelled by an operator
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 600000 }
bindings:
  steps:
    - { id: pay, idempotent: false, timeout_ms: 120000, run: ${longStep('cancel')} }
`,
  );
  project.job(
    'too-slow',
    `id: too-slow
title: a run that times out
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 3000 }
bindings:
  steps:
    - { id: crawl, timeout_ms: 120000, run: ${longStep('timeout')} }
`,
  );
  project.job(
    'fail-fast',
    `id: fail-fast
title: a step fails while its sibling runs
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 600000, max_attempts: 1 }
bindings:
  steps:
    - { id: slow, needs: [], timeout_ms: 120000, run: ${longStep('sibling')} }
    - id: broken
      needs: []
      timeout_ms: 120000
      run: [node, -e, "const fs = require('fs'); const t = setInterval(() => { if (fs.existsSync('sibling.pid')) { clearInterval(t); process.exit(3); } }, 20);"]
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

const waitFor = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  const warnings = log.entries.filter((e) => e.level !== 'info' && e.level !== 'debug').slice(-5);
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(warnings)}`);
};

/** Alive and not a zombie (an orphan killed in a container may wait for its reaper). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

const file = (name: string) => join(project.dir, name);
const pidIn = (name: string) =>
  waitFor(`${name}`, () => (existsSync(file(name)) ? Number(readFileSync(file(name), 'utf8')) : undefined));

const request = async (body: Record<string, unknown>) => {
  const reply = await client.requestTyped(schedSubject('default'), body, runRequestReplySchema, {
    timeoutMs: 10_000,
  });
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  return reply;
};

const events = (runId: RunId) => engine.storage.events.readStream(runStream(runId));
const answered = (runId: RunId, type: string) =>
  waitFor(`${type} of ${runId}`, async () => {
    const all = await events(runId);
    return all.find((e) => e.type === type) ? all : undefined;
  });

/** The step's process and, with cgroups, its setsid daemon are gone; no effect was written. */
const expectStopped = async (name: string) => {
  const pid = await pidIn(`${name}.pid`);
  const daemon = await pidIn(`${name}.daemon.pid`);
  // Gone within the grace period (2 s) plus delivery: the wait is bounded, never a timing assertion.
  await waitFor(`pid ${pid} to exit`, () => (alive(pid) ? undefined : true));
  if (cgroups) await waitFor(`daemon ${daemon} to exit`, () => (alive(daemon) ? undefined : true));
  expect(existsSync(file(`${name}.effect`))).toBe(false);
  if (cgroups) expect(existsSync(file(`${name}.daemon-effect`))).toBe(false);
  return { pid, daemon };
};

describe('cancellation reaches the process', { timeout: 60_000 }, () => {
  it('a cancelled run stops its non-idempotent command mid-way: step.indeterminate, ended cancelled', async () => {
    const { runId } = await request({ type: 'run.request', jobId: 'cancel-me' });
    await pidIn('cancel.pid');
    await request({ type: 'run.cancel', runId, by: 'test', reason: 'changed my mind' });
    await expectStopped('cancel');
    const all = await answered(runId as RunId, 'step.indeterminate');
    const completed = all.findIndex((e) => e.type === 'run.completed');
    expect(all[completed]?.data).toMatchObject({ status: 'cancelled' });
    expect(all.find((e) => e.type === 'step.cancel_requested')?.data).toMatchObject({
      stepId: 'pay',
      executor: 'command',
      reason: 'cancelled',
    });
    // The worker's account comes after the run ended, and says when and why the work ended.
    const late = all.findIndex((e) => e.type === 'step.indeterminate');
    expect(late).toBeGreaterThan(completed);
    expect(all[late]?.data).toMatchObject({ endReason: 'cancelled', endedAt: expect.any(Number) });
    const receipt = projectReceipt(all as StoredEvent[]);
    expect(receipt.steps[0]?.attempts[0]).toMatchObject({
      outcome: 'indeterminate',
      endReason: 'cancelled',
      cancelRequestedAt: expect.any(Number),
      endedAt: expect.any(Number),
    });
  });

  it('a run that times out stops its command: step.cancelled, ended run_timeout', async () => {
    const { runId } = await request({ type: 'run.request', jobId: 'too-slow' });
    await expectStopped('timeout');
    const all = await answered(runId as RunId, 'step.cancelled');
    expect(all.find((e) => e.type === 'run.completed')?.data).toMatchObject({
      status: 'failed',
      error: { data: { reason: 'run_timed_out' } },
    });
    expect(all.find((e) => e.type === 'step.cancelled')?.data).toMatchObject({
      stepId: 'crawl',
      started: true,
      endReason: 'run_timeout',
    });
  });

  it('a step that fails stops its running sibling: step.cancelled, ended sibling_failed', async () => {
    const { runId } = await request({ type: 'run.request', jobId: 'fail-fast' });
    await expectStopped('sibling');
    const all = await answered(runId as RunId, 'step.cancelled');
    expect(all.find((e) => e.type === 'run.completed')?.data).toMatchObject({ status: 'failed' });
    expect(all.find((e) => e.type === 'step.cancelled')?.data).toMatchObject({
      stepId: 'slow',
      endReason: 'sibling_failed',
    });
  });
});
