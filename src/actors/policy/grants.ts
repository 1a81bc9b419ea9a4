import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { canonicalJson } from '../../contracts/canonical-json.js';
import { LilyError } from '../../contracts/errors.js';
import type { RunId } from '../../contracts/ids.js';

/**
 * What the policy gate allowed: one step of one run (its attempts, shards and gates), as a dry
 * run or not. Retries within a visit reuse the grant: the policy is checked once per visit.
 */
export interface GrantClaims {
  runId: RunId;
  stepId: string;
  dryRun: boolean;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/**
 * Signs and verifies grants with HMAC-SHA256 under a key only local processes can read
 * (`.lily/keys/grant.key`, mode 0600). An executor runs a side-effecting dispatch only with a
 * grant that verifies and matches the dispatch's run, step and dry-run flag, so a
 * dispatch forged on the bus triggers nothing.
 */
export class GrantSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < 32)
      throw new LilyError('config_invalid', 'grant key is shorter than 32 bytes', { bytes: key.length });
  }

  sign(claims: GrantClaims): string {
    const body = b64(canonicalJson(claims));
    return `${body}.${this.mac(body)}`;
  }

  /** The reason a grant does not authorise this dispatch, or undefined when it does. */
  check(grant: string | undefined, expected: GrantClaims): string | undefined {
    if (!grant) return 'no grant';
    const dot = grant.indexOf('.');
    if (dot < 0) return 'malformed grant';
    const body = grant.slice(0, dot);
    const mac = Buffer.from(grant.slice(dot + 1), 'hex');
    const want = Buffer.from(this.mac(body), 'hex');
    if (mac.length !== want.length || !timingSafeEqual(mac, want)) return 'bad signature';
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

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('hex');
  }
}

/** Reads the grant key, creating it (32 random bytes, mode 0600) when it does not exist. */
export const loadOrCreateGrantKey = async (file: string): Promise<Buffer> => {
  try {
    return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // Written whole under a temporary name, then linked into place: link() refuses an existing
  // file, so of two processes creating it at once one wins, and nobody reads a half-written key.
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, key.toString('hex'), { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as { code?: string }).code === 'EEXIST')
      return Buffer.from((await readFile(file, 'utf8')).trim(), 'hex');
    throw e;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  await chmod(file, 0o600);
  return key;
};
