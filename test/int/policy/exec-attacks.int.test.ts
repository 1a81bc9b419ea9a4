/**
 * Attacks 2 and 7 of issue 12 against an engine and a separate worker process on a real
 * nats-server, with real programs: what a job spec (or a forged dispatch) can make run. Each
 * effect is a file that a program would write; a refusal is proven by that file never existing.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/actors/logger.js';
import type { ExecItem } from '../../../src/actors/messages.js';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { execSubject, inboxSubject, schedSubject } from '../../../src/actors/subjects.js';
import { loadOrCreateEngineKeys } from '../../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook } from '../../../src/actors/trust/engine-seals.js';
import { type RunId, runStream, type StoredEvent } from '../../../src/contracts/index.js';
import { type RunningEngine, startEngineProcess } from '../../../src/deployment/engine-process.js';
import { spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

const NS = 'default';
let nats: NatsServerHandle;
let project: Awaited<ReturnType<typeof tempProject>>;
let engine: RunningEngine;
let worker: ReturnType<typeof spawnDaemon>;
let raw: NatsConnection;
const log = memoryLogger();

/** Where each would-be effect lands: written only if the program it names runs. */
const effect = (name: string) => join(project.dir, `effect-${name}`);
const writer = (name: string) => `require('fs').writeFileSync(${JSON.stringify(effect(name))}, 'ran')`;

const POLICY = `default_principal: operator
principals: { operator: { capabilities: [] } }
executors: [command, echo]
commands: [node, echo]
workspace: { allow: ["**"], deny: [] }
`;

/** A pipeline.v1 job; specs are JSON (valid YAML), so argv needs no YAML quoting. */
const job = (id: string, steps: Record<string, unknown>[]) =>
  project.job(
    id,
    JSON.stringify({ id, title: id, target: { kind: 'blueprint', id: 'pipeline.v1' }, bindings: { steps } }),
  );

beforeAll(async () => {
  nats = await startNatsServer({});
  project = await tempProject('lily-exec-');
  project.file('policy.yaml', POLICY);
  // Impostors inside the workspace: named like allowed programs, each leaving an effect.
  mkdirSync(join(project.dir, 'x'));
  mkdirSync(join(project.dir, 'bin'));
  for (const [file, name] of [
    ['x/echo', 'x-echo'],
    ['bin/echo', 'bin-echo'],
  ] as const) {
    writeFileSync(join(project.dir, file), `#!/bin/sh\necho pwned > '${effect(name)}'\n`);
    chmodSync(join(project.dir, file), 0o755);
  }
  job('impostor', [{ id: 'a', run: ['./x/echo', 'hi'] }]);
  job('path-env', [{ id: 'a', run: ['echo', 'hi'], env: { PATH: './bin' } }]);
  job('preload', [{ id: 'a', run: ['node', '-e', writer('preload')], env: { LD_PRELOAD: './x/pre.so' } }]);
  job('plain', [{ id: 'build', run: ['node', '-e', 'console.log(1)'] }]);
  job('gated', [
    {
      id: 'build',
      run: ['node', '-e', 'console.log(1)'],
      gates: [{ id: 'deploy', run: ['node', '-e', writer('gate')] }],
    },
  ]);
  engine = await startEngineProcess({ dir: project.dir, log, nats: nats.url, cron: false });
  worker = spawnDaemon('worker', { dir: project.dir, nats: nats.url, id: 'w1' });
  await waitFor('the worker', async () =>
    workerLog().some((e) => e.event === 'worker.started') ? true : undefined,
  );
  raw = await connect({ servers: nats.url, name: 'forger' });
}, 60_000);

afterAll(async () => {
  await raw?.close();
  if (worker) await stopChild(worker);
  await engine?.stop();
  await nats?.stop();
  project?.remove();
});

const workerLog = (): Record<string, unknown>[] => {
  const file = join(project.dir, '.lily', 'logs', 'worker-w1.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
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
  throw new Error(`timed out waiting for ${what}`);
};

const run = async (jobId: string, dryRun = false): Promise<{ runId: RunId; events: StoredEvent[] }> => {
  const reply = await engine.bus.requestTyped(
    schedSubject(NS),
    { type: 'run.request', jobId, dryRun },
    runRequestReplySchema,
    { timeoutMs: 10_000 },
  );
  if (!reply.ok) throw new Error(`${reply.error.code}: ${reply.error.message}`);
  const runId = reply.runId as RunId;
  const events = await waitFor(`run ${runId}`, async () => {
    const all = await engine.storage.events.readStream(runStream(runId));
    return all.some((e) => e.type === 'run.completed') ? all : undefined;
  });
  return { runId, events };
};

const data = (events: StoredEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.data as Record<string, unknown>);

/**
 * A dispatch sealed with the project's own engine keys, as if the engine had ordered it: what
 * the worker checks on its own even then (defence in depth behind the seal).
 */
const sealedByEngine = async (runId: RunId, jobId: string, item: Record<string, unknown>, dryRun = false) => {
  const seals = new EngineSeals(await loadOrCreateEngineKeys(join(project.dir, '.lily', 'keys')));
  return seals.seal({ runId, jobId, ...item } as ExecItem, emptySealBook(), dryRun, Date.now());
};

/** Publishes one dispatch with the raw NATS client and waits for the worker's answer to it. */
const forge = async (runId: RunId, jobId: string, item: Record<string, unknown>, answer: string) => {
  const replies: Record<string, unknown>[] = [];
  const sub = raw.subscribe(inboxSubject(NS, runId), {
    callback: (_err, m) => {
      for (const e of (m.json() as { events: Record<string, unknown>[] }).events) replies.push(e);
    },
  });
  await raw.flush();
  const executor = (item.data as { executor: string }).executor;
  const sealed = await sealedByEngine(runId, jobId, item);
  raw.publish(execSubject(NS, executor), JSON.stringify({ items: [sealed] }));
  try {
    return await waitFor(answer, async () => replies.find((e) => e.type === answer));
  } finally {
    sub.unsubscribe();
  }
};

describe('the allowlist is checked on the program that runs (attack 7)', () => {
  it('refuses ./x/echo, which only shares its name with the allowed echo, at the gate', async () => {
    const { events } = await run('impostor');
    expect(data(events, 'policy.decided')).toMatchObject([
      {
        decision: 'deny',
        rule: 'commands',
        reasons: [
          `command ./x/echo (${join(realpathSync(project.dir), 'x', 'echo')}) is not in the command allowlist`,
        ],
      },
    ]);
    expect(data(events, 'run.completed')).toMatchObject([{ status: 'failed' }]);
    expect(data(events, 'step.dispatched')).toEqual([]);
    expect(existsSync(effect('x-echo'))).toBe(false);
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: 'warn', event: 'policy.denied', rule: 'commands' }),
    );
  });

  it('refuses a step env that sets PATH or LD_PRELOAD at the gate, naming the fix', async () => {
    for (const [jobId, name] of [
      ['path-env', 'PATH'],
      ['preload', 'LD_PRELOAD'],
    ] as const) {
      const { events } = await run(jobId);
      expect(data(events, 'policy.decided')).toMatchObject([
        {
          decision: 'deny',
          rule: 'env',
          reasons: [expect.stringContaining(`step sets ${name}, which changes`)],
        },
      ]);
      expect(data(events, 'policy.decided')[0]?.reasons).toEqual([
        expect.stringContaining(`name ${name} in policy.yaml env.allow to allow it on purpose`),
      ]);
      expect(data(events, 'step.dispatched')).toEqual([]);
    }
    expect(existsSync(effect('bin-echo'))).toBe(false);
    expect(existsSync(effect('preload'))).toBe(false);
  });

  it('records the real path and sha256 of what an allowed step and its gate run', async () => {
    const { events } = await run('gated', true);
    const programs = data(events, 'policy.decided')[0]?.programs as {
      program: string;
      path: string;
      sha256: string;
    }[];
    expect(programs).toHaveLength(2);
    expect(programs[1]).toMatchObject({ gateId: 'deploy', program: 'node' });
    for (const p of programs) expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a worker refuses even an engine-sealed dispatch that runs an impostor or sets PATH / LD_PRELOAD', async () => {
    const real = await run('plain');
    const step = (attempt: number, w: Record<string, unknown>) => ({
      kind: 'step',
      data: {
        stepId: 'build',
        attempt: 1,
        dispatchId: `${real.runId}/build/${attempt}`,
        executor: 'command',
        input: null,
        idempotent: true,
        dryRun: false,
        with: w,
      },
    });
    for (const [attempt, w, rule] of [
      [91, { argv: ['./x/echo', 'hi'] }, 'commands'],
      [92, { argv: [join(project.dir, 'x', 'echo')] }, 'commands'],
      [93, { argv: ['echo', 'hi'], env: { PATH: join(project.dir, 'bin') } }, 'env'],
      [94, { argv: ['node', '-e', writer('preload')], env: { LD_PRELOAD: './x/pre.so' } }, 'env'],
    ] as const) {
      const failed = await forge(real.runId, 'plain', step(attempt, w), 'step.failed');
      expect(failed.data).toMatchObject({
        dispatchId: `${real.runId}/build/${attempt}`,
        error: { code: 'job_policy_denied', data: { rule } },
        retryable: false,
      });
    }
    for (const name of ['x-echo', 'bin-echo', 'preload']) expect(existsSync(effect(name))).toBe(false);
    const refused = workerLog().filter(
      (e) => e.event === 'dispatch.refused' && String(e.dispatchId).startsWith(`${real.runId}/build/9`),
    );
    expect(refused.map((e) => e.level)).toEqual([40, 40, 40, 40]);
    expect(refused.map((e) => e.rule)).toEqual(['commands', 'commands', 'env', 'env']);
  });
});

describe('dry runs execute nothing with side effects, gates included (attack 2)', () => {
  it('a dry run of a job with a side-effecting gate records the gate as skipped and runs nothing', async () => {
    const { runId, events } = await run('gated', true);
    expect(data(events, 'run.completed')).toMatchObject([{ status: 'succeeded' }]);
    expect(data(events, 'gate.dispatched')).toEqual([]);
    expect(data(events, 'gate.skipped')).toEqual([
      {
        stepId: 'build',
        attempt: 1,
        dispatchId: `${runId}/build/1:gate:deploy`,
        gateId: 'deploy',
        executor: 'command',
        reason: 'dry_run',
      },
    ]);
    expect(data(events, 'step.succeeded')[0]?.output).toMatchObject({
      dryRun: true,
      argv: ['node', '-e', 'console.log(1)'],
    });
    expect(existsSync(effect('gate'))).toBe(false);
    const receiptDir = await waitFor('the receipt', async () =>
      readdirSync(join(project.dir, '.lily', 'runs', 'gated')).find((d) => d.endsWith(runId)),
    );
    const receipt = JSON.parse(
      readFileSync(join(project.dir, '.lily', 'runs', 'gated', receiptDir, 'run_receipt.json'), 'utf8'),
    );
    expect(receipt.steps[0].gates).toMatchObject([
      { gateId: 'deploy', outcome: 'skipped', skipReason: 'dry_run' },
    ]);
  });

  it('a worker refuses a gate item sealed as part of a dry run', async () => {
    const dry = await run('gated', true);
    const gate = await sealedByEngine(
      dry.runId,
      'gated',
      {
        kind: 'gate',
        data: {
          stepId: 'build',
          attempt: 1,
          dispatchId: `${dry.runId}/build/1:gate:deploy`,
          gateId: 'deploy',
          executor: 'command',
          input: { with: { argv: ['node', '-e', writer('gate')] }, output: null, required: true },
        },
      },
      true,
    );
    raw.publish(execSubject(NS, 'command'), JSON.stringify({ items: [gate] }));
    await waitFor('the refusal', async () =>
      workerLog().find((e) => e.event === 'dispatch.refused' && e.reason === 'dry_run_gate'),
    );
    expect(existsSync(effect('gate'))).toBe(false);
  });

  it('the same gate runs in a real run (the effect the dry run did not have)', async () => {
    const { events } = await run('gated');
    expect(data(events, 'gate.passed')).toMatchObject([{ gateId: 'deploy' }]);
    expect(readFileSync(effect('gate'), 'utf8')).toBe('ran');
  });
});
