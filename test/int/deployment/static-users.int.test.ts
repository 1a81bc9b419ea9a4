/**
 * An existing nats-server configured by hand with static nkey users (no JWT), from the block
 * docs/security.md shows: Lily processes connect with an nkey seed file as their credential
 * (`nats.creds.<role>` in the config), and the server enforces the same role permissions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { execQueue, execSubject, schedSubject } from '../../../src/actors/subjects.js';
import { connectTarget } from '../../../src/deployment/connect.js';
import { rolePermissions } from '../../../src/deployment/nats-auth/roles.js';
import { authorizationBlock } from '../../../src/deployment/nats-auth/static-users.js';
import { freeLoopbackPort, natsAcceptsConnections } from '../../../src/deployment/nats-server/index.js';

const NS = 'shop';
let dir: string;
let server: ChildProcess;
let url: string;
const buses: Bus[] = [];
const seeds: Record<'engine' | 'worker', string> = { engine: '', worker: '' };

const connectAs = async (role: 'engine' | 'worker', log = memoryLogger()) => {
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
  const engine = createUser();
  const worker = createUser();
  for (const [role, pair] of [
    ['engine', engine],
    ['worker', worker],
  ] as const) {
    seeds[role] = join(dir, `${role}.nk`);
    writeFileSync(seeds[role], `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600 });
  }
  const port = await freeLoopbackPort();
  url = `nats://127.0.0.1:${port}`;
  const config = [
    `listen: "127.0.0.1:${port}"`,
    authorizationBlock([
      { nkey: engine.getPublicKey(), permissions: rolePermissions('engine', NS) },
      { nkey: worker.getPublicKey(), permissions: rolePermissions('worker', NS, { executors: ['echo'] }) },
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
});
