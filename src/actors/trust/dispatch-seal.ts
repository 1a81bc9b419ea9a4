import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { canonicalJson } from '../../contracts/canonical-json.js';
import type { ExecItem } from '../messages.js';
import { type DispatchKind, type DispatchRef, dispatchRefOf } from './dispatch-kind.js';

/**
 * Sealed dispatches (docs/decisions/030). A seal is the grant of ONE dispatch: the engine
 * signs, with its Ed25519 key, claims naming the dispatch (id, kind, run, step, attempt,
 * shard or gate, executor), the dry-run flag, the programs the policy decision identified
 * (real path and sha256), a digest of everything the dispatch carries, and an expiry. A worker
 * verifies the dispatch it received against it with the engine's public key before it claims
 * the dispatch in its ledger; a worker cannot mint one.
 *
 * Two forms (docs/decisions/034). One dispatch: `<claims>.<signature over the claims>`. Several
 * sealed together (the dispatches an engine sends in one turn): `<claims>.<hashes>.<signature>`,
 * where `hashes` lists the sha256 of every claims body of the batch and the signature covers
 * that list (after a domain prefix); each dispatch still carries only its own claims, and a
 * worker checks that their hash is listed. The list's signature is checked once per worker
 * (`SealVerifier` remembers the lists it verified), so a batch costs one signature and one
 * verification instead of one per dispatch.
 */

/** A program the policy decision allowed for this dispatch (`policy.decided.programs`). */
export interface SealedProgram {
  /** argv[0] as written. */
  program: string;
  /** The real file it resolved to. */
  path: string;
  /** The file's sha256 when the gate could read it. */
  sha256?: string;
}

export interface SealClaims extends DispatchRef {
  v: 1;
  dryRun: boolean;
  programs: SealedProgram[];
  /** sha256 (hex) of the canonical JSON of kind, run, job, the dispatch's data and `programs`. */
  digest: string;
  /** Epoch ms after which a worker refuses to start it. */
  exp: number;
}

/**
 * The digest a seal binds: the dispatch's recorded data (what runs, with what input, options,
 * idempotence, timeout), its kind, run and job, and the programs it may start. Any change to a
 * dispatch in transit changes it.
 */
export const dispatchDigest = (item: ExecItem, programs: readonly SealedProgram[]): string =>
  createHash('sha256')
    .update(
      canonicalJson({ kind: item.kind, runId: item.runId, jobId: item.jobId, data: item.data, programs }),
    )
    .digest('hex');

/** What one dispatch is sealed with: the flag, programs and expiry its claims name. */
export interface SealTerms {
  dryRun: boolean;
  programs: readonly SealedProgram[];
  exp: number;
}

/** A dispatch and the terms it is sealed with. */
export type DispatchTerms = SealTerms & { item: ExecItem };

/** The most dispatches one signature covers: a seal then carries at most 16 hashes (688 bytes of base64url). */
export const MAX_SEAL_BATCH = 16;
const HASH_BYTES = 32;
/** Prefixed to a batch's hashes before they are signed: no claims body (JSON) starts so. */
const BATCH_DOMAIN = Buffer.from('lily-seal-batch-v1\n', 'utf8');

const claimsBody = (item: ExecItem, o: SealTerms): Buffer => {
  const claims: SealClaims = {
    v: 1,
    ...dispatchRefOf(item),
    dryRun: o.dryRun,
    programs: [...o.programs],
    digest: dispatchDigest(item, o.programs),
    exp: o.exp,
  };
  return Buffer.from(canonicalJson(claims), 'utf8');
};

const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

/** Signs seals with the engine's private key. */
export class DispatchSealer {
  constructor(private readonly key: KeyObject) {}

  /** The seal of `item` alone: deterministic (Ed25519 signatures are), so a re-send carries the same bytes. */
  seal(item: ExecItem, o: SealTerms): string {
    const body = claimsBody(item, o);
    return `${body.toString('base64url')}.${sign(null, body, this.key).toString('base64url')}`;
  }

  /**
   * The seals of several dispatches, in order, with one signature per `MAX_SEAL_BATCH` of them.
   * A batch of one gets `seal`'s form, byte for byte.
   */
  sealAll(requests: readonly DispatchTerms[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < requests.length; i += MAX_SEAL_BATCH) {
      const chunk = requests.slice(i, i + MAX_SEAL_BATCH);
      if (chunk.length === 1) {
        const only = chunk[0] as DispatchTerms;
        out.push(this.seal(only.item, only));
        continue;
      }
      const bodies = chunk.map((r) => claimsBody(r.item, r));
      const hashes = Buffer.concat(bodies.map(sha256));
      const signature = sign(null, Buffer.concat([BATCH_DOMAIN, hashes]), this.key);
      const tail = `${hashes.toString('base64url')}.${signature.toString('base64url')}`;
      for (const body of bodies) out.push(`${body.toString('base64url')}.${tail}`);
    }
    return out;
  }
}

/** Why a worker refuses a dispatch. `expired` is the only refusal of an authentic, unaltered dispatch. */
export type SealRefusal =
  | 'unsealed'
  | 'malformed_seal'
  | 'bad_signature'
  | 'expired'
  | 'wrong_dispatch'
  | 'wrong_kind'
  | 'wrong_run'
  | 'wrong_step'
  | 'wrong_attempt'
  | 'wrong_shard'
  | 'wrong_gate'
  | 'other_executor'
  | 'digest_mismatch';

export type SealVerdict = { ok: true; claims: SealClaims } | { ok: false; reason: SealRefusal };

const FIELD_CHECKS: readonly [keyof DispatchRef, SealRefusal][] = [
  ['dispatchId', 'wrong_dispatch'],
  ['kind', 'wrong_kind'],
  ['runId', 'wrong_run'],
  ['jobId', 'wrong_run'],
  ['stepId', 'wrong_step'],
  ['attempt', 'wrong_attempt'],
  ['shard', 'wrong_shard'],
  ['gateId', 'wrong_gate'],
  ['executor', 'other_executor'],
];

const parseClaims = (body: Buffer): SealClaims | undefined => {
  try {
    const c = JSON.parse(body.toString('utf8')) as Partial<SealClaims>;
    const kinds: readonly DispatchKind[] = ['step', 'shard', 'gate', 'partition'];
    if (
      c.v !== 1 ||
      typeof c.dispatchId !== 'string' ||
      !kinds.includes(c.kind as DispatchKind) ||
      typeof c.exp !== 'number' ||
      typeof c.digest !== 'string' ||
      typeof c.dryRun !== 'boolean' ||
      !Array.isArray(c.programs)
    ) {
      return undefined;
    }
    return c as SealClaims;
  } catch {
    return undefined;
  }
};

/** Batch signatures a verifier remembers having checked (each entry is a batch's hashes and signature). */
const VERIFIED_BATCHES_KEPT = 256;

/** Verifies seals with the engine's public key (all a worker holds). */
export class SealVerifier {
  /** `<hashes>.<signature>` of the batches whose signature verified, oldest first. */
  readonly #verifiedBatches = new Set<string>();

  constructor(private readonly publicKey: KeyObject) {}

  /** Batch signatures checked so far and still remembered (at most 256). */
  get batchesRemembered(): number {
    return this.#verifiedBatches.size;
  }

  #signed(body: Buffer, signature: Buffer): boolean {
    try {
      return signature.length === 64 && verify(null, body, this.publicKey, signature);
    } catch {
      return false;
    }
  }

  /**
   * Whether `tail` (`<hashes>.<signature>`) is a batch signed by the engine that lists the hash
   * of `body`. A batch's signature is checked once and remembered, with the exact text of its
   * hashes and signature, so a later dispatch of the same batch skips the signature check but
   * not the check that its own claims are listed.
   */
  #inSignedBatch(body: Buffer, tail: string, dot: number): boolean {
    const hashesText = tail.slice(0, dot);
    const hashes = Buffer.from(hashesText, 'base64url');
    if (hashes.length === 0 || hashes.length % HASH_BYTES !== 0) return false;
    if (hashes.length > MAX_SEAL_BATCH * HASH_BYTES) return false;
    const own = sha256(body);
    let listed = false;
    for (let at = 0; at < hashes.length && !listed; at += HASH_BYTES) {
      listed = own.equals(hashes.subarray(at, at + HASH_BYTES));
    }
    if (!listed) return false;
    if (this.#verifiedBatches.has(tail)) return true;
    const signature = Buffer.from(tail.slice(dot + 1), 'base64url');
    if (!this.#signed(Buffer.concat([BATCH_DOMAIN, hashes]), signature)) return false;
    this.#verifiedBatches.add(tail);
    if (this.#verifiedBatches.size > VERIFIED_BATCHES_KEPT) {
      const oldest = this.#verifiedBatches.values().next().value;
      if (oldest !== undefined) this.#verifiedBatches.delete(oldest);
    }
    return true;
  }

  /**
   * Whether `seal` authorises exactly `item` at `now`: a valid signature, not expired, every
   * named field equal to the dispatch's, and the digest of the dispatch as received equal to
   * the sealed one. Never throws. `ref` is the item's reference when the caller has it.
   */
  verify(
    item: ExecItem,
    seal: string | undefined,
    now: number,
    ref: DispatchRef = dispatchRefOf(item),
  ): SealVerdict {
    if (seal === undefined || seal === '') return { ok: false, reason: 'unsealed' };
    const dot = seal.indexOf('.');
    if (dot <= 0 || seal.length > 65_536) return { ok: false, reason: 'malformed_seal' };
    const body = Buffer.from(seal.slice(0, dot), 'base64url');
    const rest = seal.slice(dot + 1);
    const second = rest.indexOf('.');
    if (second >= 0 && rest.indexOf('.', second + 1) >= 0) return { ok: false, reason: 'malformed_seal' };
    const valid =
      second < 0
        ? this.#signed(body, Buffer.from(rest, 'base64url'))
        : this.#inSignedBatch(body, rest, second);
    if (!valid) return { ok: false, reason: 'bad_signature' };
    const claims = parseClaims(body);
    if (!claims) return { ok: false, reason: 'malformed_seal' };
    for (const [field, reason] of FIELD_CHECKS) {
      if (claims[field] !== ref[field]) return { ok: false, reason };
    }
    if (dispatchDigest(item, claims.programs) !== claims.digest)
      return { ok: false, reason: 'digest_mismatch' };
    if (now > claims.exp) return { ok: false, reason: 'expired' };
    return { ok: true, claims };
  }
}
