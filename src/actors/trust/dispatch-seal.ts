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

/** Signs seals with the engine's private key. */
export class DispatchSealer {
  constructor(private readonly key: KeyObject) {}

  /** The seal of `item`: deterministic (Ed25519 signatures are), so a re-send carries the same bytes. */
  seal(item: ExecItem, o: { dryRun: boolean; programs: readonly SealedProgram[]; exp: number }): string {
    const claims: SealClaims = {
      v: 1,
      ...dispatchRefOf(item),
      dryRun: o.dryRun,
      programs: [...o.programs],
      digest: dispatchDigest(item, o.programs),
      exp: o.exp,
    };
    const body = Buffer.from(canonicalJson(claims), 'utf8');
    return `${body.toString('base64url')}.${sign(null, body, this.key).toString('base64url')}`;
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

/** Verifies seals with the engine's public key (all a worker holds). */
export class SealVerifier {
  constructor(private readonly publicKey: KeyObject) {}

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
    const signature = Buffer.from(seal.slice(dot + 1), 'base64url');
    let valid = false;
    try {
      valid = signature.length === 64 && verify(null, body, this.publicKey, signature);
    } catch {
      valid = false;
    }
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
