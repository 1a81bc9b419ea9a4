/**
 * The four roles against a real nats-server started with the config `lily up` writes (the
 * managed server: operator JWT, MEMORY resolver, the project account). Every probe is made
 * with the raw NATS client, not Lily's bus: what is refused is refused by the server.
 *
 * "Refused" for a publish: the server reports a permission violation for that subject, and a
 * subscriber with the engine credential never sees the message (a marker published after it
 * on the same connection does arrive, so nothing is pending). "Allowed": the engine-side
 * subscriber receives it. For a subscription: it is closed with a permission violation, or it
 * receives what the engine publishes.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { createAccount } from '@nats-io/jwt';
import { Objm } from '@nats-io/obj';
import { connect, credsAuthenticator, errors, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsBus } from '../../../src/actors/bus/nats-bus.js';
import { openKvDispatchLedger } from '../../../src/actors/ledger/kv-dispatch-ledger.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import { issueCredential } from '../../../src/deployment/nats-auth/creds.js';
import {
  loadOrCreateNatsTrust,
  type NatsTrust,
  natsKeysDir,
} from '../../../src/deployment/nats-auth/keys.js';
import type { LilyRole } from '../../../src/deployment/nats-auth/roles.js';
import {
  type ManagedNats,
  natsPaths,
  startManagedNats,
  stopManagedNats,
} from '../../../src/deployment/nats-server/index.js';
import { bindLilyBuckets, ensureLilyBuckets } from '../../../src/eventstore/jetstream/buckets.js';
import { openNatsArtifactStore } from '../../../src/eventstore/jetstream/nats-artifact-store.js';
import { systemClock } from '../../../src/eventstore/system-ports.js';
import { loadOrCreateProjectIdentity } from '../../../src/project/identity.js';

const NS = 'perm';
const RUN = '01J0000000000000000000000R';
let root: string;
let nats: ManagedNats;
let trust: NatsTrust;
const open: NatsConnection[] = [];

const credsFor = async (role: LilyRole, o: { expiresAt?: number; executors?: string[] } = {}) =>
  issueCredential(trust.account, { role, ns: NS, executors: o.executors ?? ['echo', 'command'], ...o });

/** A raw client of `role`, recording every permission violation the server reports to it. */
const client = async (role: LilyRole, o: { executors?: string[] } = {}) => {
  const issued = await credsFor(role, o);
  const nc = await connect({
    servers: nats.url,
    authenticator: credsAuthenticator(new TextEncoder().encode(issued.text)),
    inboxPrefix: issued.inboxPrefix,
  });
  open.push(nc);
  const violations: { operation: string; subject: string; queue?: string }[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error' && s.error instanceof errors.PermissionViolationError) {
        violations.push({ operation: s.error.operation, subject: s.error.subject, queue: s.error.queue });
      }
    }
  })();
  return { nc, violations, inboxPrefix: issued.inboxPrefix };
};

let engine: Awaited<ReturnType<typeof client>>;
/** Everything the engine credential sees on the namespace, by subject. */
const seen: string[] = [];

const waitFor = async (what: () => boolean): Promise<void> => {
  while (!what()) await new Promise((r) => setTimeout(r, 5));
};

/** Publishes `subject` then a marker from `c`; resolves with whether the engine saw `subject`. */
const delivered = async (c: Awaited<ReturnType<typeof client>>, subject: string): Promise<boolean> => {
  const marker = `lily.${NS}.sys.ping.marker-${seen.length}-${Math.random().toString(36).slice(2)}`;
  const before = seen.length;
  c.nc.publish(subject, 'x');
  c.nc.publish(marker, 'marker');
  await c.nc.flush();
  await waitFor(() => seen.includes(marker));
  return seen.slice(before).includes(subject);
};

const refusedPublish = async (c: Awaited<ReturnType<typeof client>>, subject: string) => {
  expect(await delivered(c, subject)).toBe(false);
  await waitFor(() => c.violations.some((v) => v.operation === 'publish' && v.subject === subject));
};

/**
 * The fate of a subscription: `refused` (the server answered the SUB with a permission
 * violation, which it sends before the PONG of the flush that follows), or `received` (it got
 * what the engine published after the flush).
 */
const subscription = async (
  c: Awaited<ReturnType<typeof client>>,
  subject: string,
  queue: string | undefined,
  publish: string,
): Promise<'refused' | 'received'> => {
  let refused = false;
  let got: () => void = () => undefined;
  const received = new Promise<void>((resolve) => {
    got = resolve;
  });
  const sub = c.nc.subscribe(subject, {
    ...(queue ? { queue } : {}),
    callback: (err) => {
      if (err instanceof errors.PermissionViolationError) refused = true;
      else if (!err) got();
    },
  });
  await c.nc.flush();
  if (refused) return 'refused';
  engine.nc.publish(publish, 'x');
  await engine.nc.flush();
  await received;
  sub.unsubscribe();
  return 'received';
};

beforeAll(async () => {
  root = join(mkdtempSync(join(tmpdir(), 'lily-roles-')), '.lily');
  nats = await startManagedNats(root);
  trust = await loadOrCreateNatsTrust(natsPaths(root).keys);
  engine = await client('engine');
  engine.nc.subscribe(`lily.${NS}.>`, {
    callback: (_e, m) => {
      seen.push(m.subject);
    },
  });
  await engine.nc.flush();
});

afterAll(async () => {
  for (const nc of open) await nc.close().catch(() => undefined);
  await stopManagedNats(root, { graceMs: 2_000 });
  rmSync(join(root, '..'), { recursive: true, force: true });
});

describe('the managed server enforces each role', () => {
  it('keeps the trust chain in .lily/keys/nats (0700, seeds 0600) and reuses it', async () => {
    const again = await loadOrCreateNatsTrust(natsPaths(root).keys);
    expect(again.account.getPublicKey()).toBe(trust.account.getPublicKey());
    expect(again.operator.getPublicKey()).toBe(trust.operator.getPublicKey());
    expect(statSync(natsKeysDir(natsPaths(root).keys)).mode & 0o777).toBe(0o700);
    for (const name of ['operator', 'account', 'system']) {
      expect(statSync(join(natsKeysDir(natsPaths(root).keys), `${name}.nk`)).mode & 0o777).toBe(0o600);
    }
    const id = await loadOrCreateProjectIdentity({ keys: natsPaths(root).keys });
    expect(await loadOrCreateProjectIdentity({ keys: natsPaths(root).keys })).toEqual(id);
    expect(statSync(join(natsPaths(root).keys, 'project.json')).mode & 0o777).toBe(0o600);
  });

  it('worker: publishes replies on in.* and answers on sys.>; every command, event and approval subject is refused', async () => {
    const w = await client('worker');
    expect(await delivered(w, `lily.${NS}.in.${RUN}`)).toBe(true);
    expect(await delivered(w, `lily.${NS}.sys.health`)).toBe(true);
    for (const subject of [
      `lily.${NS}.cmd.sched`,
      `lily.${NS}.cmd.answer`,
      `lily.${NS}.cmd.policy`,
      `lily.${NS}.cmd.exec.echo`,
      `lily.${NS}.cmd.exec.command`,
      `lily.${NS}.cmd.cancel.echo`,
      `lily.${NS}.evt.hello.${RUN}.run.started`,
      `lily.${NS}.evt.-.-.approval.granted`,
      `lily.other.in.${RUN}`,
      '_INBOX.stolen',
      '$JS.API.STREAM.LIST',
    ]) {
      await refusedPublish(w, subject);
    }
  });

  it('worker: takes dispatches only in its executors’ queue groups; never reads events, others’ inboxes or other executors', async () => {
    const w = await client('worker', { executors: ['echo'] });
    const exec = `lily.${NS}.cmd.exec.echo`;
    expect(await subscription(w, exec, 'lily-exec-echo', exec)).toBe('received');
    expect(await subscription(w, exec, undefined, exec)).toBe('refused');
    expect(await subscription(w, exec, 'my-own-group', exec)).toBe('refused');
    expect(await subscription(w, `lily.${NS}.cmd.exec.command`, 'lily-exec-command', exec)).toBe('refused');
    expect(await subscription(w, `lily.${NS}.cmd.exec.*`, 'lily-exec-echo', exec)).toBe('refused');
    expect(await subscription(w, `lily.${NS}.evt.>`, undefined, exec)).toBe('refused');
    expect(await subscription(w, `lily.${NS}.cmd.sched`, 'lily-sched', exec)).toBe('refused');
    expect(await subscription(w, '_INBOX.>', undefined, exec)).toBe('refused');
    expect(await subscription(w, `lily.${NS}.in.*`, undefined, exec)).toBe('refused');
    // Each refusal is also reported on the connection's status stream.
    await waitFor(() => w.violations.filter((v) => v.operation === 'subscription').length === 8);
    // Cancels of its executors reach every worker (no queue group); others' cancels do not.
    const cancel = `lily.${NS}.cmd.cancel.echo`;
    expect(await subscription(w, cancel, undefined, cancel)).toBe('received');
    expect(await subscription(w, `lily.${NS}.cmd.cancel.command`, undefined, cancel)).toBe('refused');
  });

  it('worker: answers a request it received (allow_responses) and gets replies to its own requests', async () => {
    const w = await client('worker');
    const ping = `lily.${NS}.sys.ping.worker-x`;
    w.nc.subscribe(ping, {
      callback: (_e, m) => {
        m.respond('pong');
      },
    });
    await w.nc.flush();
    const reply = await engine.nc.request(ping, 'hi', { timeout: 5_000 });
    expect(reply.string()).toBe('pong');
    engine.nc.subscribe(`lily.${NS}.sys.status`, {
      callback: (_e, m) => {
        m.respond('ok');
      },
    });
    await engine.nc.flush();
    expect((await w.nc.request(`lily.${NS}.sys.status`, '', { timeout: 5_000 })).string()).toBe('ok');
  });

  it("worker: uses its namespace's ledger and artifact buckets the engine made; creates, purges, lists and reads nothing else", async () => {
    await ensureLilyBuckets(engine.nc, NS, { replicas: 1 });
    await ensureLilyBuckets(engine.nc, 'other', { replicas: 1 });
    const w = await client('worker');
    const buckets = await bindLilyBuckets(w.nc, NS);
    const owner = { worker: 'w', pid: 1, host: 'remote' };
    const ledger = openKvDispatchLedger({ kv: buckets.ledger, owner, clock: systemClock });
    expect(await ledger.claim(`${RUN}/s/1`, { retakeStale: true })).toEqual({ kind: 'claimed' });
    expect(await ledger.heartbeat()).toEqual({ lost: [] });
    await ledger.complete(`${RUN}/s/1`, []);
    expect(await ledger.claim(`${RUN}/s/1`, { retakeStale: true })).toEqual({ kind: 'done', replies: [] });
    const artifacts = openNatsArtifactStore({ buckets, retryWithinMs: 1_000 });
    const ref = await artifacts.putText('made elsewhere', {
      name: 'out',
      producer: 'executor/x',
      runId: RUN,
    });
    // The engine reads what the worker put, record and bytes.
    const engineSide = openNatsArtifactStore({ buckets: await bindLilyBuckets(engine.nc, NS) });
    const got = await engineSide.get(ref.sha256);
    expect(got?.ref).toEqual(ref);
    expect(new TextDecoder().decode(got?.bytes)).toBe('made elsewhere');
    // Reading records or content needs a consumer, listing too: refused to the worker.
    await expect(artifacts.get(ref.sha256)).rejects.toMatchObject({ code: 'bus_permission_denied' });
    await expect(artifacts.list()).rejects.toMatchObject({ code: 'bus_permission_denied' });
    const jsm = await jetstreamManager(w.nc, { checkAPI: false, timeout: 2_000 });
    for (const attempt of [
      () => jsm.streams.purge('OBJ_lily-perm-artifacts'),
      () => jsm.streams.delete('KV_lily-perm-ledger'),
      () => jsm.streams.add({ name: 'mine', subjects: ['mine.>'] }),
      () => jsm.streams.info('KV_lily-other-ledger'),
      () => new Objm(w.nc).create('lily-perm-more'),
    ]) {
      await expect(attempt()).rejects.toThrow();
    }
    await expect(bindLilyBuckets(w.nc, 'other')).rejects.toMatchObject({ code: 'bus_permission_denied' });
    await waitFor(() =>
      w.violations.some((v) => v.subject === '$JS.API.STREAM.PURGE.OBJ_lily-perm-artifacts'),
    );
    await refusedPublish(w, '$KV.lily-other-ledger.x');
  });

  it('operator: requests runs and sends answers to the engine; never a run inbox, dispatches, commands or events', async () => {
    const o = await client('operator');
    expect(await delivered(o, `lily.${NS}.cmd.sched`)).toBe(true);
    expect(await delivered(o, `lily.${NS}.cmd.answer`)).toBe(true);
    for (const subject of [
      `lily.${NS}.in.${RUN}`,
      `lily.${NS}.cmd.policy`,
      `lily.${NS}.cmd.exec.echo`,
      `lily.${NS}.cmd.cancel.echo`,
      `lily.${NS}.evt.hello.${RUN}.step.succeeded`,
    ]) {
      await refusedPublish(o, subject);
    }
    const exec = `lily.${NS}.cmd.exec.echo`;
    expect(await subscription(o, exec, 'lily-exec-echo', exec)).toBe('refused');
    expect(await subscription(o, `lily.${NS}.cmd.exec.*`, undefined, exec)).toBe('refused');
    expect(await subscription(o, `lily.${NS}.cmd.policy`, 'lily-policy', exec)).toBe('refused');
    const evt = `lily.${NS}.evt.hello.${RUN}.run.started`;
    expect(await subscription(o, `lily.${NS}.evt.>`, undefined, evt)).toBe('received');
  });

  it('observer: reads events and pings; publishes nothing else', async () => {
    const obs = await client('observer');
    expect(await delivered(obs, `lily.${NS}.sys.ping`)).toBe(true);
    for (const subject of [
      `lily.${NS}.cmd.sched`,
      `lily.${NS}.cmd.answer`,
      `lily.${NS}.cmd.policy`,
      `lily.${NS}.cmd.exec.echo`,
      `lily.${NS}.in.${RUN}`,
      `lily.${NS}.evt.hello.${RUN}.run.started`,
      `lily.${NS}.sys.health`,
    ]) {
      await refusedPublish(obs, subject);
    }
    const evt = `lily.${NS}.evt.hello.${RUN}.run.started`;
    expect(await subscription(obs, `lily.${NS}.evt.>`, undefined, evt)).toBe('received');
    expect(await subscription(obs, `lily.${NS}.cmd.>`, undefined, evt)).toBe('refused');
  });

  it('refuses a client without a credential, with a credential of another account, and an expired one', async () => {
    const attempt = async (authenticator?: ReturnType<typeof credsAuthenticator>) =>
      connect({ servers: nats.url, timeout: 2_000, ...(authenticator ? { authenticator } : {}) }).then(
        async (nc) => {
          await nc.close();
          return 'connected';
        },
        (e: unknown) => (e as Error).message,
      );
    expect(await attempt()).toMatch(/Authorization Violation/i);
    const stranger = await issueCredential(createAccount(), { role: 'engine', ns: NS });
    expect(await attempt(credsAuthenticator(new TextEncoder().encode(stranger.text)))).toMatch(
      /Authorization Violation/i,
    );
    const expired = await credsFor('engine', { expiresAt: Date.now() - 60_000 });
    expect(await attempt(credsAuthenticator(new TextEncoder().encode(expired.text)))).not.toBe('connected');
  });

  it("a refusal reaches Lily's bus as a warn naming the subject and reason; the connection stays up", async () => {
    const log = memoryLogger();
    const issued = await credsFor('worker');
    const bus = await connectNatsBus({
      servers: nats.url,
      credentials: issued.text,
      inboxPrefix: issued.inboxPrefix,
      logger: log,
    });
    try {
      bus.publish(`lily.${NS}.cmd.sched`, { type: 'run.request' });
      bus.subscribe(`lily.${NS}.evt.>`, () => undefined);
      await bus.flush();
      await waitFor(() => log.entries.filter((e) => e.event === 'bus.permission_denied').length >= 2);
      const denied = log.entries.filter((e) => e.event === 'bus.permission_denied');
      expect(denied).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ level: 'warn', operation: 'publish', subject: `lily.${NS}.cmd.sched` }),
          expect.objectContaining({ level: 'warn', operation: 'subscription', subject: `lily.${NS}.evt.>` }),
        ]),
      );
      for (const e of denied) expect(String(e.reason)).toMatch(/Permissions Violation/);
      expect(log.entries.some((e) => e.level === 'error')).toBe(false);
      expect(bus.isClosed()).toBe(false);
      const err = await bus
        .request(`lily.${NS}.cmd.policy`, {}, { timeoutMs: 5_000 })
        .catch((e: unknown) => e);
      expect(hasErrorCode(err, 'bus_permission_denied')).toBe(true);
      expect(await delivered(engine, `lily.${NS}.in.${RUN}`)).toBe(true);
      bus.publish(`lily.${NS}.in.${RUN}`, { runId: RUN, events: [] });
      await bus.flush();
    } finally {
      await bus.close();
    }
  });
});
