/**
 * The floor of W3 under design.md's rules (bench/floor/): what both of its processes agree on.
 * A dispatch carries claims (its id, run, step, executor and a sha256 digest of its input) whose
 * sha256 is signed with the engine's Ed25519 key, one signature for every dispatch of a turn (the
 * list of their claims' hashes, as Lily's decision 034), and a reply key, HMAC(secret, dispatch
 * id). A reply carries the step's two facts and HMAC(reply key, facts). Bare node:crypto, no Lily
 * code: this is the least work the rules of design.md §2 and §8 ask of a step.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SUBJECTS = {
  run: 'floor.run',
  exec: 'floor.cmd.exec.echo',
  reply: 'floor.in',
  evt: (runId: string, type: string) => `floor.evt.${runId}.${type}`,
  completed: 'floor.evt.*.run.completed',
} as const;

export interface Claims {
  id: string;
  runId: string;
  step: number;
  executor: 'echo';
  digest: string;
}

export interface Dispatch {
  claims: Claims;
  input: unknown;
  replyKey: string;
  /** The turn's hashes of claims, signed once. */
  seal: { hashes: string[]; sig: string };
}

export interface Fact {
  type: 'step.started' | 'step.succeeded';
  dispatchId: string;
  runId: string;
  step: number;
  at: number;
  output?: unknown;
}

export interface Reply {
  facts: Fact[];
  proof: string;
}

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export const claimsHash = (c: Claims): string =>
  sha256(`${c.id}\n${c.runId}\n${c.step}\n${c.executor}\n${c.digest}`);

/** The bytes a turn's seal signs: its claims' hashes, in order. */
export const sealedBytes = (hashes: readonly string[]): Buffer => Buffer.from(hashes.join('\n'));

export const replyKeyOf = (secret: Buffer, dispatchId: string): string =>
  createHmac('sha256', secret).update(`exec|${dispatchId}`).digest('hex');

export const proofOf = (replyKey: string, facts: string): string =>
  createHmac('sha256', Buffer.from(replyKey, 'hex')).update(facts).digest('hex');

/** Whether `proof` is the HMAC of `facts` under `replyKey` (constant time). */
export const proofHolds = (replyKey: string, facts: string, proof: string): boolean => {
  const want = Buffer.from(proofOf(replyKey, facts), 'hex');
  const got = Buffer.from(proof, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
};
