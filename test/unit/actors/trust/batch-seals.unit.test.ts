import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ExecItem } from '../../../../src/actors/messages.js';
import { MAX_SEAL_BATCH, SealVerifier } from '../../../../src/actors/trust/dispatch-seal.js';
import { createEngineKeys, sealPublicKeyFromHex } from '../../../../src/actors/trust/engine-keys.js';
import { EngineSeals, emptySealBook } from '../../../../src/actors/trust/engine-seals.js';

const RUN = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const T0 = 1_800_000_000_000;
const keys = createEngineKeys();
const seals = new EngineSeals(keys, { ttlMs: 60_000 });
const publicKey = sealPublicKeyFromHex(keys.sealPublicKey);

const step = (id: string, over: Record<string, unknown> = {}): ExecItem =>
  ({
    kind: 'step',
    runId: RUN,
    jobId: 'job',
    data: {
      stepId: id,
      attempt: 1,
      dispatchId: `${RUN}/${id}/1`,
      executor: 'echo',
      input: { id },
      idempotent: true,
      dryRun: false,
      with: { value: id },
      ...over,
    },
  }) as unknown as ExecItem;

const sealAll = (items: ExecItem[]) =>
  seals.sealAll(items.map((item) => seals.terms(item, emptySealBook(), false, T0)));
const grantOf = (item: ExecItem) => item.seal?.grant as string;
const reason = (v: SealVerifier, item: ExecItem, grant = grantOf(item)) => {
  const verdict = v.verify(item, grant, T0 + 1_000);
  return verdict.ok ? 'ok' : verdict.reason;
};
const b64 = (bytes: Buffer) => bytes.toString('base64url');
const parts = (grant: string) => grant.split('.') as [string, string, string];

describe('dispatches sealed together (decision 034)', () => {
  it('a batch of one is sealed to exactly the bytes of a seal of its own', () => {
    const [alone] = sealAll([step('a')]);
    expect(alone?.seal).toEqual(seals.seal(step('a'), emptySealBook(), false, T0).seal);
    expect(grantOf(alone as ExecItem).split('.')).toHaveLength(2);
  });

  it('share one signature over the hashes of their claims, and each verifies as itself only', () => {
    const items = sealAll(['a', 'b', 'c'].map((id) => step(id)));
    const tails = items.map((i) => parts(grantOf(i)).slice(1).join('.'));
    expect(new Set(tails).size).toBe(1);
    const hashes = Buffer.from(parts(grantOf(items[0] as ExecItem))[1], 'base64url');
    expect(hashes).toHaveLength(3 * 32);
    const verifier = new SealVerifier(publicKey);
    for (const item of items) expect(reason(verifier, item)).toBe('ok');
    expect(verifier.batchesRemembered).toBe(1);
    // Each seal names its own dispatch: another dispatch of the batch cannot use it.
    const [a, b] = items as [ExecItem, ExecItem];
    expect(reason(verifier, b, grantOf(a))).toBe('wrong_dispatch');
    // Every field still checked against the dispatch as received, remembered batch or not.
    const altered = { ...a, data: { ...a.data, input: { id: 'evil' } } } as ExecItem;
    expect(reason(verifier, altered)).toBe('digest_mismatch');
  });

  it('one signature for each MAX_SEAL_BATCH: a larger batch is split, never one list over it', () => {
    const items = sealAll(Array.from({ length: MAX_SEAL_BATCH + 2 }, (_, i) => step(`s${i}`)));
    const tails = new Set(items.map((i) => parts(grantOf(i))[2]));
    expect(tails.size).toBe(2);
    const last = parts(grantOf(items.at(-1) as ExecItem));
    expect(Buffer.from(last[1], 'base64url')).toHaveLength(2 * 32);
    const verifier = new SealVerifier(publicKey);
    for (const item of items) expect(reason(verifier, item)).toBe('ok');
  });

  it('refuse claims not listed, a list edited (even after the batch verified), another key, and extra parts', () => {
    const items = sealAll(['a', 'b'].map((id) => step(id)));
    const a = items[0] as ExecItem;
    const [body, hashes, signature] = parts(grantOf(a));
    const verifier = new SealVerifier(publicKey);
    expect(reason(verifier, a)).toBe('ok');
    // Claims edited (a later expiry): their hash is no longer in the signed list.
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const edited = Buffer.from(JSON.stringify({ ...claims, exp: T0 + 10 ** 9 }));
    expect(reason(verifier, a, `${b64(edited)}.${hashes}.${signature}`)).toBe('bad_signature');
    // ...nor does listing the edited claims' hash help: the list is then not the one signed,
    // and the verifier's memory of the batch is keyed by the exact list and signature.
    const forged = Buffer.concat([
      Buffer.from(hashes, 'base64url'),
      createHash('sha256').update(edited).digest(),
    ]);
    expect(reason(verifier, a, `${b64(edited)}.${b64(forged)}.${signature}`)).toBe('bad_signature');
    // A list whose length is not a whole number of hashes, or longer than MAX_SEAL_BATCH of them.
    expect(reason(verifier, a, `${body}.${hashes.slice(0, -4)}.${signature}`)).toBe('bad_signature');
    const long = Buffer.concat(
      Array.from({ length: MAX_SEAL_BATCH + 1 }, () => Buffer.from(hashes, 'base64url').subarray(0, 32)),
    );
    expect(reason(verifier, a, `${body}.${b64(long)}.${signature}`)).toBe('bad_signature');
    // A batch signed by another engine.
    const otherKeys = createEngineKeys();
    const other = new EngineSeals(otherKeys).sealAll(
      ['a', 'b'].map((id) => seals.terms(step(id), emptySealBook(), false, T0)),
    );
    expect(reason(verifier, a, grantOf(other[0] as ExecItem))).toBe('bad_signature');
    // A batch signature used as a single seal's, and the other way round.
    expect(reason(verifier, a, `${body}.${signature}`)).toBe('bad_signature');
    const single = grantOf(seals.seal(a, emptySealBook(), false, T0));
    expect(reason(verifier, a, `${single}.${signature}`)).toBe('bad_signature');
    expect(reason(verifier, a, `${grantOf(a)}.x`)).toBe('malformed_seal');
  });

  it("a batch's signature authorises nothing on its own: its signed bytes are no claims body", () => {
    const items = sealAll(['a', 'b'].map((id) => step(id)));
    const a = items[0] as ExecItem;
    const [, hashes, signature] = parts(grantOf(a));
    // What the engine signed for the batch (domain, then hashes), presented as one seal's claims:
    // the signature holds, and the claims are refused as no claims at all.
    const signed = Buffer.concat([Buffer.from('lily-seal-batch-v1\n'), Buffer.from(hashes, 'base64url')]);
    expect(reason(new SealVerifier(publicKey), a, `${b64(signed)}.${signature}`)).toBe('malformed_seal');
  });

  it('remember at most 256 verified batches', () => {
    const verifier = new SealVerifier(publicKey);
    for (let i = 0; i < 300; i++) {
      const [first] = sealAll([step(`x${i}`), step(`y${i}`)]);
      expect(reason(verifier, first as ExecItem)).toBe('ok');
    }
    expect(verifier.batchesRemembered).toBe(256);
  });
});
