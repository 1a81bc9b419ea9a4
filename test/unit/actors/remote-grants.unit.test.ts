/**
 * Sealed grants: a worker elsewhere verifies the engine's grants with the public key alone; a
 * worker with the grant key still checks the HMAC; tampering, other keys, unsealed grants and
 * grants of another dispatch are refused.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { GrantSigner } from '../../../src/actors/policy/grants.js';
import {
  GrantVerifier,
  grantPublicKeyHex,
  SealedGrantSigner,
} from '../../../src/actors/policy/remote-grants.js';
import type { RunId } from '../../../src/contracts/ids.js';

const key = randomBytes(32);
const claims = { runId: '01JRUN' as RunId, stepId: 'build', dryRun: false };
const sealed = new SealedGrantSigner(key);
const verifier = new GrantVerifier(grantPublicKeyHex(key));

describe('sealed grants', () => {
  it('verify with the public key alone, and with the HMAC key as before', () => {
    const grant = sealed.sign(claims);
    expect(grant.split('.')).toHaveLength(3);
    expect(verifier.check(grant, claims)).toBeUndefined();
    expect(sealed.check(grant, claims)).toBeUndefined();
    expect(new GrantSigner(key).check(grant.split('.').slice(0, 2).join('.'), claims)).toBeUndefined();
  });

  it('the public key is 64 hex digits, stable for a key, different across keys', () => {
    expect(grantPublicKeyHex(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(grantPublicKeyHex(key)).toBe(grantPublicKeyHex(Buffer.from(key)));
    expect(grantPublicKeyHex(randomBytes(32))).not.toBe(grantPublicKeyHex(key));
  });

  it('refuses tampered, foreign, unsealed, malformed and mismatched grants', () => {
    const grant = sealed.sign(claims);
    const [body, mac, seal] = grant.split('.') as [string, string, string];
    const otherBody = Buffer.from(JSON.stringify({ ...claims, dryRun: true })).toString('base64url');
    expect(verifier.check(`${otherBody}.${mac}.${seal}`, claims)).toBe('bad signature');
    expect(verifier.check(`${body}.${mac}.${seal.slice(0, -4)}AAAA`, claims)).toBe('bad signature');
    expect(verifier.check(new SealedGrantSigner(randomBytes(32)).sign(claims), claims)).toBe('bad signature');
    expect(verifier.check(new GrantSigner(key).sign(claims), claims)).toMatch(/not sealed/);
    expect(verifier.check(undefined, claims)).toBe('no grant');
    expect(verifier.check('garbage', claims)).toBe('malformed grant');
    expect(verifier.check(`${grant}.extra`, claims)).toBe('malformed grant');
    expect(verifier.check(grant, { ...claims, stepId: 'deploy' })).toBe('grant does not match the dispatch');
    expect(verifier.check(grant, { ...claims, dryRun: true })).toBe('grant does not match the dispatch');
  });

  it('a verifier is refused a key that is not 64 hex digits', () => {
    expect(() => new GrantVerifier('nothex')).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});
