/**
 * Two projects, one external nats-server, both with the default namespace: the second one
 * gets `namespace_in_use` naming the first (its directory, host and pid) for its engine, its
 * workers and its CLI, so it never serves the first one's run requests nor takes its
 * dispatches; the first one logs who tried. Project A runs as real daemons (child processes).
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus } from '../../../src/actors/bus/bus.js';
import { connectNatsBus } from '../../../src/actors/bus/nats-bus.js';
import { memoryLogger, silentLogger } from '../../../src/actors/logger.js';
import { pingReplySchema } from '../../../src/actors/messages.js';
import { sysSubject } from '../../../src/actors/subjects.js';
import { hasErrorCode, type LilyError } from '../../../src/contracts/errors.js';
import { connectTarget, resolveNatsTarget } from '../../../src/deployment/connect.js';
import { startEngineProcess } from '../../../src/deployment/engine-process.js';
import { claimNamespace, processOwner } from '../../../src/deployment/namespace-claim.js';
import { startWorkerProcess } from '../../../src/deployment/worker-process.js';
import { loadConfig } from '../../../src/project/config.js';
import { projectPaths } from '../../../src/project/paths.js';
import { spawnDaemon, stopChild, tempProject } from '../../helpers/lily-project.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

let nats: NatsServerHandle;
let a: Awaited<ReturnType<typeof tempProject>>;
let b: Awaited<ReturnType<typeof tempProject>>;
let aEngine: ReturnType<typeof spawnDaemon>;
let aWorker: ReturnType<typeof spawnDaemon>;
let client: Bus;

const answers = async (actor: string): Promise<boolean> => {
  try {
    await client.requestTyped(sysSubject('default', 'ping', actor), {}, pingReplySchema, { timeoutMs: 250 });
    return true;
  } catch {
    return false;
  }
};

const until = async (what: () => Promise<boolean>): Promise<void> => {
  while (!(await what())) await new Promise((r) => setTimeout(r, 50));
};

const inUse = (e: unknown) => {
  expect(hasErrorCode(e, 'namespace_in_use')).toBe(true);
  return (e as LilyError).data as { namespace: string; owner: { dir: string; host: string; pid: number } };
};

beforeAll(async () => {
  nats = await startNatsServer({});
  a = await tempProject('lily-ns-a-');
  b = await tempProject('lily-ns-b-');
  client = await connectNatsBus({ servers: nats.url, name: 'test-client' });
  aEngine = spawnDaemon('engine', { dir: a.dir, nats: nats.url });
  aWorker = spawnDaemon('worker', { dir: a.dir, nats: nats.url, id: 'a1' });
  await until(() => answers('engine'));
  await until(() => answers('worker-a1'));
}, 60_000);

afterAll(async () => {
  if (aWorker) await stopChild(aWorker);
  if (aEngine) await stopChild(aEngine);
  await client?.close();
  await nats?.stop();
  a?.remove();
  b?.remove();
});

describe('a namespace belongs to one project on a NATS', () => {
  it("a second project's engine is refused with namespace_in_use naming the owner; nothing of it starts", async () => {
    const e = await startEngineProcess({ dir: b.dir, log: silentLogger(), nats: nats.url }).catch((x) => x);
    const { namespace, owner } = inUse(e);
    expect(namespace).toBe('default');
    expect(owner.dir).toBe(a.dir);
    expect(owner.host).toBe(hostname());
    expect([aEngine.pid, aWorker.pid]).toContain(owner.pid);
    expect((e as Error).message).toContain(a.dir);
    expect((e as Error).message).toContain(`pid ${owner.pid}`);
    // B's engine never subscribed: A's engine is still the only one answering pings.
    expect(await answers('engine')).toBe(true);
  });

  it("a second project's worker is refused: it takes none of the owner's dispatches", async () => {
    const e = await startWorkerProcess({ dir: b.dir, id: 'b1', log: silentLogger(), nats: nats.url }).catch(
      (x) => x,
    );
    expect(inUse(e).owner.dir).toBe(a.dir);
    expect(await answers('worker-b1')).toBe(false);
  });

  it("a second project's CLI is refused before it sends a request: it cannot run the owner's jobs", async () => {
    const paths = projectPaths(b.dir);
    const target = await resolveNatsTarget(paths, await loadConfig(paths.config), nats.url, 'operator');
    const e = await connectTarget(target, 'lily-cli', silentLogger()).catch((x) => x);
    expect(inUse(e).owner.dir).toBe(a.dir);
  });

  it('the owner logs every attempt at warn level, naming the other project', async () => {
    const logged = () =>
      readFileSync(join(a.dir, '.lily', 'logs', 'engine.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; event?: string; prober?: { dir: string } })
        .filter((l) => l.event === 'namespace.contested');
    await until(async () => logged().length >= 3);
    for (const l of logged()) {
      expect(l.level).toBe(40);
      expect(l.prober?.dir).toBe(b.dir);
    }
  });

  it('another process of the same project is welcome', async () => {
    const log = memoryLogger();
    const second = await startWorkerProcess({ dir: a.dir, id: 'a2', log, nats: nats.url });
    try {
      // One ping may miss its 250 ms on a loaded machine: a welcome worker answers one of them.
      await until(() => answers('worker-a2'));
    } finally {
      await second.stop();
    }
  });

  it('once the owner stops, the other project may take the namespace, and then holds it', async () => {
    await stopChild(aWorker);
    await stopChild(aEngine);
    const log = memoryLogger();
    const engineB = await startEngineProcess({ dir: b.dir, log, nats: nats.url, cron: false });
    try {
      const e = await startWorkerProcess({ dir: a.dir, id: 'a3', log: silentLogger(), nats: nats.url }).catch(
        (x) => x,
      );
      expect(inUse(e).owner).toMatchObject({ dir: b.dir, pid: process.pid });
    } finally {
      await engineB.stop();
    }
  });

  it('two projects claiming at the same moment never both succeed', async () => {
    const buses = [
      await connectNatsBus({ servers: nats.url, name: 'race-1' }),
      await connectNatsBus({ servers: nats.url, name: 'race-2' }),
    ];
    try {
      for (let i = 0; i < 25; i++) {
        const ns = `race${i}`;
        const results = await Promise.allSettled(
          buses.map((bus, k) =>
            claimNamespace({
              bus,
              ns,
              me: processOwner(`project-${k}`, `/p${k}`, 'engine', 'engine'),
              log: silentLogger(),
              hold: true,
              probe: true,
              windowMs: 50,
            }),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        expect(won.length).toBeLessThanOrEqual(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(hasErrorCode(r.reason, 'namespace_in_use')).toBe(true);
          else r.value.release();
        }
      }
    } finally {
      for (const bus of buses) await bus.close();
    }
  });
});
