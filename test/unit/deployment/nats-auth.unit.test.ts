import { createAccount, createUser, decode, encodeUser, fmtCreds, type User } from '@nats-io/jwt';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import { describeCredential, issueCredential } from '../../../src/deployment/nats-auth/creds.js';
import { parseDuration } from '../../../src/deployment/nats-auth/duration.js';
import { allowsExecutor, rolePermissions } from '../../../src/deployment/nats-auth/roles.js';

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe('the role permission table', () => {
  it('a worker may subscribe to each of its executors only inside that executor’s queue group, and hear their cancels', () => {
    const p = rolePermissions('worker', 'ns1', {
      executors: ['echo', 'command', 'echo'],
      inboxPrefix: '_INBOX_U1',
    });
    expect(p.sub.allow).toEqual([
      'lily.ns1.cmd.exec.command lily-exec-command',
      'lily.ns1.cmd.exec.echo lily-exec-echo',
      'lily.ns1.cmd.cancel.command',
      'lily.ns1.cmd.cancel.echo',
      'lily.ns1.sys.>',
      '_INBOX_U1.>',
    ]);
    expect(p.pub.allow).toEqual([
      'lily.ns1.in.*',
      'lily.ns1.sys.>',
      // its namespace's ledger and artifact buckets: keys and objects, never streams or consumers
      '$JS.API.STREAM.INFO.KV_lily-ns1-ledger',
      '$JS.API.STREAM.MSG.GET.KV_lily-ns1-ledger',
      '$KV.lily-ns1-ledger.>',
      '$JS.API.STREAM.MSG.GET.KV_lily-ns1-artifact-refs',
      '$KV.lily-ns1-artifact-refs.>',
      '$JS.API.STREAM.MSG.GET.OBJ_lily-ns1-artifacts',
      '$O.lily-ns1-artifacts.C.>',
      '$O.lily-ns1-artifacts.M.>',
    ]);
    expect(p.pub.allow.some((s) => /PURGE|DELETE|CREATE|CONSUMER|\$JS\.API\.>/.test(s))).toBe(false);
    // Cancels come from the engine only: neither a worker nor an operator may publish one.
    expect(p.pub.allow.some((s) => s.includes('cancel'))).toBe(false);
    expect(rolePermissions('operator', 'ns1').pub.allow.some((s) => s.includes('cancel'))).toBe(false);
    expect(p.resp).toEqual({ max: 1, ttl: 0 });
    expect(allowsExecutor(p.sub.allow, 'ns1', 'echo')).toBe(true);
    expect(allowsExecutor(p.sub.allow, 'ns1', 'list')).toBe(false);
    expect(allowsExecutor(p.sub.allow, 'ns2', 'echo')).toBe(false);
  });

  it('reads queue permissions as the server does: whole-token wildcards only', () => {
    expect(allowsExecutor(['lily.a.cmd.exec.* *'], 'a', 'echo')).toBe(true);
    expect(allowsExecutor(['lily.a.cmd.exec.*'], 'a', 'echo')).toBe(true);
    expect(allowsExecutor(['lily.a.> lily-exec-echo'], 'a', 'echo')).toBe(true);
    // `lily-exec-*` is not a wildcard for nats-server: the queue is one literal token.
    expect(allowsExecutor(['lily.a.cmd.exec.* lily-exec-*'], 'a', 'echo')).toBe(false);
    expect(allowsExecutor(['lily.a.cmd.exec.echo lily-exec-list'], 'a', 'echo')).toBe(false);
  });

  it('operators request runs and answer runs, observers only read and ping; neither reads dispatches', () => {
    const op = rolePermissions('operator', 'n');
    expect(op.pub.allow).toEqual(['lily.n.cmd.sched', 'lily.n.cmd.answer', 'lily.n.sys.>']);
    expect(op.sub.allow).toEqual(['lily.n.evt.>', 'lily.n.sys.>', '_INBOX.>']);
    const obs = rolePermissions('observer', 'n');
    expect(obs.pub.allow).toEqual(['lily.n.sys.ping', 'lily.n.sys.ping.*', 'lily.n.sys.owner']);
    expect(obs.sub.allow).toEqual(['lily.n.evt.>', 'lily.n.sys.>', '_INBOX.>']);
    const engine = rolePermissions('engine', 'n');
    expect(engine.pub.allow).toContain('lily.n.>');
    expect(engine.pub.allow).toContain('$JS.API.>');
    expect(engine.sub.allow).toContain('lily.n.>');
    expect(
      hasErrorCode(
        thrown(() => rolePermissions('engine', 'a.b')),
        'config_invalid',
      ),
    ).toBe(true);
    expect(
      hasErrorCode(
        thrown(() => rolePermissions('worker', 'n', { inboxPrefix: 'x.>' })),
        'usage_invalid',
      ),
    ).toBe(true);
  });
});

describe('credentials', () => {
  it('issues a standard .creds file whose JWT carries the role, namespace, project and a private inbox', async () => {
    const account = createAccount();
    const expiresAt = Date.UTC(2030, 0, 1);
    const issued = await issueCredential(account, {
      role: 'worker',
      ns: 'Prod_1',
      name: 'w@host',
      executors: ['echo'],
      expiresAt,
      projectId: 'abc123',
      sealPublicKey: 'ab'.repeat(32),
    });
    expect(issued.text).toContain('-----BEGIN NATS USER JWT-----');
    expect(issued.text).toContain('-----BEGIN USER NKEY SEED-----');
    const claims = decode<User>(issued.jwt);
    expect(claims.iss).toBe(account.getPublicKey());
    expect(claims.exp).toBe(expiresAt / 1000);
    expect(claims.nats.sub?.allow).toContain('lily.Prod_1.cmd.exec.echo lily-exec-echo');
    const info = describeCredential(issued.text, 'w.creds');
    expect(info).toMatchObject({
      kind: 'jwt',
      user: issued.userPublicKey,
      name: 'w@host',
      role: 'worker',
      ns: 'Prod_1',
      projectId: 'abc123',
      sealPublicKey: 'ab'.repeat(32),
      expiresAt,
      inboxPrefix: `_INBOX_${issued.userPublicKey}`,
    });
  });

  it('reads a bare nkey seed; refuses garbage and a JWT that names another key, never echoing the seed', async () => {
    const user = createUser();
    const seed = new TextDecoder().decode(user.getSeed());
    expect(describeCredential(`${seed}\n`, 'seed.nk')).toMatchObject({
      kind: 'nkey',
      user: user.getPublicKey(),
      inboxPrefix: '_INBOX',
    });
    const garbage = thrown(() => describeCredential('hello', 'x.creds'));
    expect(hasErrorCode(garbage, 'config_invalid')).toBe(true);
    const account = createAccount();
    const otherJwt = await encodeUser('u', createUser(), account);
    const mismatched = new TextDecoder().decode(fmtCreds(otherJwt, user));
    const e = thrown(() => describeCredential(mismatched, 'm.creds'));
    expect(hasErrorCode(e, 'config_invalid')).toBe(true);
    expect(JSON.stringify(e) + String(e)).not.toContain(seed);
  });

  it('parses --expires durations and refuses the rest', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    for (const bad of ['', '0d', '1y', '-1d', '1.5h', '99999w', 'd']) {
      expect(
        hasErrorCode(
          thrown(() => parseDuration(bad)),
          'usage_invalid',
        ),
      ).toBe(true);
    }
  });
});
