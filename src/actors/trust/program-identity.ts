import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StepError } from '../../contracts/executor.js';
import type { SealedProgram } from './dispatch-seal.js';

const digests = new Map<string, string>();
const MAX_CACHED = 1_024;
const CHUNK = 1 << 20;

/**
 * sha256 of a file's bytes, read through one descriptor (the stat and the bytes are of the same
 * file), cached by (path, device, inode, size, mtime, ctime) so a rewritten file is hashed
 * again. Synchronous: it runs right before a program starts (a large program costs its hash
 * once per process). Throws the OS error.
 */
export const fileSha256Sync = (path: string): string => {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    const key = `${path}\n${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const cached = digests.get(key);
    if (cached !== undefined) return cached;
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) {
      hash.update(buf.subarray(0, n));
    }
    const sha256 = hash.digest('hex');
    if (digests.size >= MAX_CACHED) digests.delete(digests.keys().next().value as string);
    digests.set(key, sha256);
    return sha256;
  } finally {
    closeSync(fd);
  }
};

/**
 * The worker's last check before it starts a program: when the dispatch's seal names the
 * program argv[0] is (the policy decision identified it), the file about to start must be that
 * one: the same content (sha256) when the decision could hash it, else the same real path. A
 * program an executor starts on its own (not the step's argv) is bound by the allowlist only.
 * Throws `job_policy_denied` (rule `program_identity`, not retryable) otherwise.
 */
export const checkSealedProgram = (
  sealed: readonly SealedProgram[],
  argv0: string,
  file: string,
  sha256Of: (path: string) => string = fileSha256Sync,
): void => {
  const named = sealed.filter((p) => p.program === argv0);
  if (named.length === 0) return;
  let actual: string | undefined;
  const matches = (p: SealedProgram): boolean => {
    if (p.sha256 === undefined) return p.path === file;
    try {
      actual ??= sha256Of(file);
    } catch {
      return false;
    }
    return actual === p.sha256;
  };
  if (named.some(matches)) return;
  const want = named
    .map((p) => (p.sha256 ? `${p.path} (sha256 ${p.sha256.slice(0, 12)}…)` : p.path))
    .join(', ');
  const reason = `${argv0} resolves to ${file}${actual ? ` (sha256 ${actual.slice(0, 12)}…)` : ''}, not the program the policy decision allowed: ${want}`;
  throw new StepError(
    'job_policy_denied',
    `refused by the worker: ${reason}`,
    { rule: 'program_identity', reason, argv0, file },
    { retryable: false },
  );
};
