/**
 * An existing nats-server configured by hand with static nkey users (no JWT), from the block
 * docs/security.md shows: Lily processes connect with an nkey seed file as their credential
 * (`nats.creds.<role>` in the config), and the server enforces the same role permissions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { execQueue, execSubject, schedSubject } from '../../../src/actors/subjects.js';
import { type RunId, runStream } from '../../../src/contracts/index.js';
import { connectTarget } from '../../../src/deployment/connect.js';
import { startEngineProcess } from '../../../src/deployment/engine-process.js';
import { rolePermissions } from '../../../src/deployment/nats-auth/roles.js';
import { authorizationBlock } from '../../../src/deployment/nats-auth/static-users.js';
import { freeLoopbackPort, natsAcceptsConnections } from '../../../src/deployment/nats-server/index.js';
import { startWorkerProcess } from '../../../src/deployment/worker-process.js';
import { tempProject } from '../../helpers/lily-project.js';

const NS = 'shop';
let dir: string;
let server: ChildProcess;
let url: string;
const buses: Bus[] = [];
const ROLES = ['engine', 'worker', 'operator'] as const;
const seeds: Record<(typeof ROLES)[number], string> = { engine: '', worker: '', operator: '' };

const connectAs = async (role: (typeof ROLES)[number], log = memoryLogger()) => {
  const bus = await connectTarget(
    { url, credential: { kind: 'file', file: seeds[role] }, source: 'config' },
    `static-${role}`,
    log,
  );
  buses.push(bus);
  return { bus, log };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lily-static-users-'));
  const users = { engine: createUser(), worker: createUser(), operator: createUser() };
  for (const role of ROLES) {
    seeds[role] = join(dir, `${role}.nk`);
    writeFileSync(seeds[role], `${new TextDecoder().decode(users[role].getSeed())}\n`, { mode: 0o600 });
  }
  const port = await freeLoopbackPort();
  url = `nats://127.0.0.1:${port}`;
  const config = [
    `listen: "127.0.0.1:${port}"`,
    authorizationBlock([
      { nkey: users.engine.getPublicKey(), permissions: rolePermissions('engine', NS) },
      {
        nkey: users.worker.getPublicKey(),
        permissions: rolePermissions('worker', NS, { executors: ['echo', 'command'] }),
      },
      { nkey: users.operator.getPublicKey(), permissions: rolePermissions('operator', NS) },
    ]),
    '',
  ].join('\n');
  writeFileSync(join(dir, 'nats.conf'), config);
  server = spawn(process.env.LILY_NATS_SERVER ?? 'nats-server', ['-c', join(dir, 'nats.conf')], {
    stdio: 'ignore',
  });
  while (!(await natsAcceptsConnections(port))) {
    if (server.exitCode !== null) throw new Error('nats-server refused the generated config');
    await new Promise((r) => setTimeout(r, 25));
  }
});

afterAll(async () => {
  for (const b of buses) await b.close();
  server?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('static nkey users from the documented block', () => {
  it('a worker with an nkey seed takes its queue group’s dispatches and cannot request runs', async () => {
    const engine = await connectAs('engine');
    const { bus, log } = await connectAs('worker');
    const got = new Promise<unknown>((resolve) => {
      bus.subscribe(execSubject(NS, 'echo'), (m) => resolve(m.json()), { queue: execQueue('echo') });
    });
    await bus.flush();
    engine.bus.publish(execSubject(NS, 'echo'), { items: [] });
    expect(await got).toEqual({ items: [] });

    bus.subscribe(execSubject(NS, 'echo'), () => undefined);
    bus.publish(schedSubject(NS), { type: 'run.request' });
    await bus.flush();
    while (log.entries.filter((e) => e.event === 'bus.permission_denied').length < 2) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(log.entries.filter((e) => e.event === 'bus.permission_denied')).toEqual([
      expect.objectContaining({ level: 'warn', operation: 'subscription', subject: execSubject(NS, 'echo') }),
      expect.objectContaining({ level: 'warn', operation: 'publish', subject: schedSubject(NS) }),
    ]);
  });

  it('a project names each role’s seed in nats.creds: engine and worker daemons serve a run an operator requests', async () => {
    const project = await tempProject('lily-static-project-');
    const config = readFileSync(join(project.dir, '.lily', 'config.yaml'), 'utf8');
    writeFileSync(
      join(project.dir, '.lily', 'config.yaml'),
      `${config.replace(/^namespace:.*$/m, '').replace(/^nats:[\s\S]*?(?=^\S)/m, '')}
namespace: ${NS}
nats:
  url: ${url}
  creds: { engine: ${seeds.engine}, worker: ${seeds.worker}, operator: ${seeds.operator} }
`,
    );
    const log = memoryLogger();
    const engine = await startEngineProcess({ dir: project.dir, log, cron: false });
    const worker = await startWorkerProcess({ dir: project.dir, id: 'w1', log });
    try {
      // An nkey seed does not say what it may do: the worker tries every executor it has, and the
      // server refuses the one this user was not given (a warn, not a failure).
      expect(worker.worker.names()).toEqual(['command', 'echo', 'list']);
      while (!log.entries.some((e) => e.event === 'bus.permission_denied')) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(log.entries.filter((e) => e.event === 'bus.permission_denied')).toEqual([
        expect.objectContaining({
          level: 'warn',
          operation: 'subscription',
          subject: execSubject(NS, 'list'),
          queue: execQueue('list'),
        }),
      ]);
      const operator = await connectAs('operator');
      const reply = await operator.bus.requestTyped(
        schedSubject(NS),
        { type: 'run.request', jobId: 'hello' },
        runRequestReplySchema,
        { timeoutMs: 10_000 },
      );
      if (!reply.ok) throw new Error(reply.error.message);
      const stream = runStream(reply.runId as RunId);
      let events = await engine.storage.events.readStream(stream);
      while (!events.some((e) => e.type === 'run.completed')) {
        await new Promise((r) => setTimeout(r, 50));
        events = await engine.storage.events.readStream(stream);
      }
      expect(events.at(-1)?.data).toMatchObject({ status: 'succeeded' });
      const workers = events
        .filter((e) => e.type === 'step.started')
        .map((e) => (e.data as { worker: string }).worker);
      expect(workers).toEqual(['w1', 'w1', 'w1']);
      expect(log.entries.filter((e) => e.event === 'bus.permission_denied')).toHaveLength(1);
    } finally {
      await worker.stop();
      await engine.stop();
      project.remove();
    }
  });
});
