import { createHmac, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '../../contracts/canonical-json.js';
import { LilyError } from '../../contracts/errors.js';
import { type GrantClaims, GrantSigner } from './grants.js';

/** What a worker needs of grants: the reason one does not authorise a dispatch, or undefined. */
export type GrantCheck = Pick<GrantSigner, 'check'>;

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const SEED_LABEL = 'lily grant seal ed25519 v1';

const privateKeyOf = (grantKey: Buffer): KeyObject => {
  const seed = createHmac('sha256', grantKey).update(SEED_LABEL).digest();
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
};

/**
 * The public half of the project's grant seal, as 64 hex digits: what a worker elsewhere needs
 * to verify grants (it travels in the worker's credential, `lily-grant-key:` tag). The Ed25519
 * seed is derived from `.lily/keys/grant.key` (HMAC-SHA256 under a fixed label), so the project
 * stores nothing new and a worker learns nothing that lets it sign.
 */
export const grantPublicKeyHex = (grantKey: Buffer): string =>
  createPublicKey(privateKeyOf(grantKey))
    .export({ format: 'der', type: 'spki' })
    .subarray(SPKI_ED25519.length)
    .toString('hex');

const parts = (grant: string): string[] => grant.split('.');

/**
 * A grant signer whose grants workers elsewhere can verify without the secret: each grant is
 * `body.hmac.seal`, where `seal` is an Ed25519 signature of `body` (base64url). Workers that
 * hold the grant key (on the engine's machine) check the HMAC, as before; a worker given only the
 * public key (`GrantVerifier`) checks the seal. The engine seals only when its workers may run
 * elsewhere (`ledger: nats`): a seal costs ~70 µs per allowed step, an HMAC ~3 µs.
 */
export class SealedGrantSigner extends GrantSigner {
  readonly #seal: KeyObject;

  constructor(key: Buffer) {
    super(key);
    this.#seal = privateKeyOf(key);
  }

  override sign(claims: GrantClaims): string {
    const grant = super.sign(claims);
    const body = parts(grant)[0] as string;
    return `${grant}.${sign(null, Buffer.from(body, 'utf8'), this.#seal).toString('base64url')}`;
  }

  override check(grant: string | undefined, expected: GrantClaims): string | undefined {
    if (grant === undefined) return super.check(grant, expected);
    const [body, mac, , ...rest] = parts(grant);
    if (rest.length > 0) return 'malformed grant';
    return super.check(`${body}.${mac ?? ''}`, expected);
  }
}

/**
 * Verifies sealed grants with the project's public grant key alone (a worker on another machine):
 * the seal must verify and the claims must match the dispatch. It cannot sign.
 */
export class GrantVerifier implements GrantCheck {
  readonly #key: KeyObject;

  /** Throws `config_invalid` unless `publicKeyHex` is 64 hex digits. */
  constructor(publicKeyHex: string) {
    if (!/^[0-9a-f]{64}$/.test(publicKeyHex)) {
      throw new LilyError('config_invalid', 'the grant key must be 64 lowercase hex digits', {
        value: publicKeyHex.slice(0, 80),
      });
    }
    this.#key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519, Buffer.from(publicKeyHex, 'hex')]),
      format: 'der',
      type: 'spki',
    });
  }

  check(grant: string | undefined, expected: GrantClaims): string | undefined {
    if (!grant) return 'no grant';
    const [body, mac, seal, ...rest] = parts(grant);
    if (!body || !mac || rest.length > 0) return 'malformed grant';
    if (!seal) return 'grant not sealed for workers elsewhere (the engine needs `ledger: nats`)';
    let ok = false;
    try {
      ok = verify(null, Buffer.from(body, 'utf8'), this.#key, Buffer.from(seal, 'base64url'));
    } catch {
      ok = false;
    }
    if (!ok) return 'bad signature';
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return 'malformed grant';
    }
    return canonicalJson(claims) === canonicalJson(expected)
      ? undefined
      : 'grant does not match the dispatch';
  }
}
