import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsBus } from '../../../src/actors/bus/nats-bus.js';
import { silentLogger } from '../../../src/actors/logger.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import { connectTarget, managedNatsTarget } from '../../../src/deployment/connect.js';
import { natsKeysDir } from '../../../src/deployment/nats-auth/keys.js';
import {
  daemonAlive,
  findNatsServer,
  isAlive,
  managedNatsStatus,
  managedNatsUrl,
  natsPaths,
  readDeploymentState,
  readManagedNatsState,
  spawnDaemon,
  startManagedNats,
  stopDaemon,
  stopManagedNats,
  writeDeploymentState,
} from '../../../src/deployment/nats-server/index.js';

let root: string;
const strangers: ChildProcess[] = [];

/** An unrelated process (what a reused pid would be). */
const stranger = (): number => {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  strangers.push(child);
  return child.pid as number;
};

beforeAll(() => {
  root = join(mkdtempSync(join(tmpdir(), 'lily-managed-nats-')), '.lily');
});

afterAll(async () => {
  await stopManagedNats(root, { graceMs: 2_000 });
  for (const s of strangers) s.kill('SIGKILL');
  rmSync(join(root, '..'), { recursive: true, force: true });
});

describe('managed nats-server', () => {
  it('starts on loopback trusting only the project account: seeds 0600 in 0700, a client without a credential is refused', async () => {
    const nats = await startManagedNats(root);
    expect(nats.reused).toBe(false);
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    const paths = natsPaths(root);
    expect(statSync(paths.config).mode & 0o777).toBe(0o600);
    const keysDir = natsKeysDir(paths.keys);
    expect(statSync(keysDir).mode & 0o777).toBe(0o700);
    const config = readFileSync(paths.config, 'utf8');
    for (const key of ['operator', 'account', 'system']) {
      const seed = readFileSync(join(keysDir, `${key}.nk`), 'utf8').trim();
      expect(statSync(join(keysDir, `${key}.nk`)).mode & 0o777).toBe(0o600);
      expect(config).not.toContain(seed);
    }
    expect(config).toContain('resolver: MEMORY');
    const cmdline = readFileSync(`/proc/${nats.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain(paths.config);
    expect(await readManagedNatsState(root)).toMatchObject({ pid: nats.pid, port: nats.port, url: nats.url });

    const target = managedNatsTarget({ keys: paths.keys }, 'test', nats.url, 'engine');
    const bus = await connectTarget(target, 'test', silentLogger());
    const got = new Promise<unknown>((resolve) => {
      bus.subscribe('lily.test.sys.ping', (msg) => resolve(msg));
    });
    await bus.flush();
    bus.publish('lily.test.sys.ping', { hello: 1 });
    expect(await got).toBeDefined();
    await bus.close();

    const refused = await connectNatsBus({ servers: nats.url, connectTimeoutMs: 2_000 }).then(
      async (b) => {
        await b.close();
        return 'connected';
      },
      (e: unknown) => e,
    );
    expect(hasErrorCode(refused, 'bus_unavailable')).toBe(true);
    expect(await managedNatsUrl(root)).toBe(nats.url);
  });

  it('a second start reuses the running server', async () => {
    const before = await readManagedNatsState(root);
    const again = await startManagedNats(root);
    expect(again.reused).toBe(true);
    expect(again.pid).toBe(before?.pid);
  });

  it('stop terminates it and clears its state', async () => {
    const state = await readManagedNatsState(root);
    const result = await stopManagedNats(root, { graceMs: 5_000 });
    expect(result).toEqual({ outcome: 'stopped', pid: state?.pid });
    expect(isAlive(state?.pid as number)).toBe(false);
    expect(await managedNatsStatus(root)).toEqual({ status: 'stopped' });
  });

  it('a stale state file naming an unrelated process never gets it killed', async () => {
    const pid = stranger();
    const paths = natsPaths(root);
    writeFileSync(
      paths.state,
      JSON.stringify({
        version: 1,
        pid,
        url: 'nats://127.0.0.1:1',
        port: 1,
        startedAt: 0,
        binary: findNatsServer().path,
        config: paths.config,
      }),
    );
    expect((await managedNatsStatus(root)).status).toBe('stale');
    expect(await stopManagedNats(root, { graceMs: 100 })).toEqual({ outcome: 'not_ours', pid });
    expect(isAlive(pid)).toBe(true);

    // start() discards the stale record (the stranger survives) and starts a real server.
    writeFileSync(
      paths.state,
      JSON.stringify({ version: 1, pid, url: 'x', port: 1, startedAt: 0, binary: 'x', config: paths.config }),
    );
    const nats = await startManagedNats(root);
    expect(nats.reused).toBe(false);
    expect(nats.pid).not.toBe(pid);
    expect(isAlive(pid)).toBe(true);
    await stopManagedNats(root, { graceMs: 5_000 });
    expect(isAlive(pid)).toBe(true);
  });

  it('nats-server missing: nats_server_missing says how to install it', async () => {
    const error = await startManagedNats(join(root, 'other'), {
      env: { ...process.env, LILY_NATS_SERVER: '/nonexistent/nats-server' },
    }).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'nats_server_missing')).toBe(true);
    expect((error as Error).message).toContain('apt-get install nats-server');
    expect((error as Error).message).toContain('https://github.com/nats-io/nats-server/releases');
  });
});

describe('daemon records', () => {
  it('spawnDaemon starts a detached process; stopDaemon stops it; a reused pid is not ours', async () => {
    const marker = join(root, 'daemon-marker-test');
    const record = await spawnDaemon({
      role: 'worker',
      id: 'worker-1',
      command: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)', marker],
      log: join(root, 'logs', 'worker-1.log'),
      cmdlineMarker: marker,
    });
    expect(daemonAlive(record)).toBe(true);
    await writeDeploymentState(root, {
      version: 1,
      namespace: 'default',
      nats: { managed: false, url: 'nats://127.0.0.1:4222' },
      processes: [record],
    });
    expect(await readDeploymentState(root)).toMatchObject({
      processes: [{ id: 'worker-1', pid: record.pid }],
    });

    const pid = stranger();
    expect(daemonAlive({ pid, cmdlineMarker: marker })).toBe(false);
    expect(await stopDaemon({ pid, cmdlineMarker: marker }, { graceMs: 100 })).toBe('not_ours');
    expect(isAlive(pid)).toBe(true);

    expect(await stopDaemon(record, { graceMs: 5_000 })).toBe('stopped');
    expect(daemonAlive(record)).toBe(false);
    expect(await stopDaemon(record)).toBe('not_running');
  });

  it('an unreadable deployment file is reported, not thrown', async () => {
    writeFileSync(join(root, 'deployment.json'), '{nope');
    expect(await readDeploymentState(root)).toMatchObject({ invalid: expect.any(String) });
  });
});
