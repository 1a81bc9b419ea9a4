/**
 * The floor's worker (bench/floor/), a process of its own: takes `echo` dispatches from its
 * queue group, verifies each seal (one Ed25519 verification per signature, remembered for the
 * other dispatches of its turn), checks the claims against what it received, runs the step
 * (its output is its input) and replies with the step's two facts, proven under the dispatch's
 * reply key. A dispatch whose seal does not hold is dropped, as Lily's worker does.
 *
 *   node --import tsx bench/floor/worker.ts <nats url> <engine public key, DER base64>
 */
import { createPublicKey, verify } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { claimsHash, type Dispatch, type Fact, proofOf, SUBJECTS, sealedBytes, sha256 } from './protocol.js';

const [url, publicKeyB64] = process.argv.slice(2);
if (!url || !publicKeyB64) {
  process.stderr.write('usage: node --import tsx bench/floor/worker.ts <nats url> <public key>\n');
  process.exit(2);
}
const publicKey = createPublicKey({ key: Buffer.from(publicKeyB64, 'base64'), format: 'der', type: 'spki' });

/** The last signature verified, and its hashes: the dispatches of one turn arrive together. */
let verified: { sig: string; hashes: Set<string> } | undefined;
const sealHolds = (d: Dispatch): boolean => {
  const hash = claimsHash(d.claims);
  if (d.claims.digest !== sha256(JSON.stringify(d.input))) return false;
  if (verified?.sig !== d.seal.sig) {
    const ok = verify(null, sealedBytes(d.seal.hashes), publicKey, Buffer.from(d.seal.sig, 'base64'));
    if (!ok) return false;
    verified = { sig: d.seal.sig, hashes: new Set(d.seal.hashes) };
  }
  return verified.hashes.has(hash);
};

let refused = 0;
const nc = await connect({ servers: url, name: 'floor-worker' });
nc.subscribe(SUBJECTS.exec, {
  queue: 'floor-workers',
  callback: (_err, m) => {
    let d: Dispatch;
    try {
      d = m.json<Dispatch>();
    } catch {
      refused += 1;
      return;
    }
    if (!sealHolds(d)) {
      refused += 1;
      return;
    }
    const { id, runId, step } = d.claims;
    const started: Fact = { type: 'step.started', dispatchId: id, runId, step, at: Date.now() };
    const succeeded: Fact = {
      type: 'step.succeeded',
      dispatchId: id,
      runId,
      step,
      at: Date.now(),
      output: d.input,
    };
    const facts = JSON.stringify([started, succeeded]);
    nc.publish(SUBJECTS.reply, `{"facts":${facts},"proof":"${proofOf(d.replyKey, facts)}"}`);
  },
});
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  process.stderr.write(`floor worker: ${refused} dispatches refused\n`);
  void nc.close().then(() => process.exit(0));
});
