import { errors } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { isTransient, jetstreamError, retryTransient } from '../../../src/eventstore/jetstream/transient.js';

const denied = (subject: string) =>
  new errors.PermissionViolationError(
    `Permissions Violation for Publish to "${subject}"`,
    'publish',
    subject,
  );

describe('JetStream failures: transient or not', () => {
  it('a put whose cleanup (purging its chunks) was refused failed for a transient reason: retried', async () => {
    const cleanup = denied('$JS.API.STREAM.PURGE.OBJ_lily-default-artifacts');
    expect(isTransient(cleanup)).toBe(true);
    expect(isTransient(new Error('wrapped', { cause: cleanup }))).toBe(true);
    let calls = 0;
    const put = async () => {
      calls += 1;
      if (calls === 1) throw cleanup;
      return 'stored';
    };
    await expect(retryTransient(put, { withinMs: 5_000 })).resolves.toBe('stored');
    expect(calls).toBe(2);
  });

  it('any other permission violation is a refusal: not retried, bus_permission_denied', async () => {
    for (const subject of [
      '$JS.API.STREAM.PURGE.KV_lily-default-ledger',
      '$JS.API.STREAM.DELETE.OBJ_x',
      'lily.x.cmd.exec.echo',
    ]) {
      const e = denied(subject);
      expect(isTransient(e)).toBe(false);
      let calls = 0;
      await expect(
        retryTransient(async () => {
          calls += 1;
          throw e;
        }),
      ).rejects.toBe(e);
      expect(calls).toBe(1);
      expect(jetstreamError(e, 'object store put').code).toBe('bus_permission_denied');
    }
  });
});
