import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { chmod, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LilyError } from '../../contracts/errors.js';

/**
 * The engine's trust keys (docs/decisions/030):
 *
 * - an **Ed25519 key pair** that seals dispatches: the engine signs with the private key, any
 *   worker verifies with the public key (so a worker on another machine can check a dispatch
 *   but never mint one);
 * - a **reply secret** (32 random bytes) from which the engine derives each dispatch's reply
 *   key; only the engine holds it.
 *
 * Files in `.lily/keys/` (0600 in the 0700 directory): `dispatch-seal.key` (PKCS#8 PEM),
 * `dispatch-seal.pub` (the raw public key, hex: what `lily creds issue worker` puts in the
 * credential's tags) and `reply.key` (hex).
 */
export interface EngineKeys {
  sealKey: KeyObject;
  /** The raw 32-byte Ed25519 public key, lowercase hex. */
  sealPublicKey: string;
  replySecret: Buffer;
}

export const SEAL_KEY_FILE = 'dispatch-seal.key';
export const SEAL_PUBLIC_FILE = 'dispatch-seal.pub';
export const REPLY_SECRET_FILE = 'reply.key';

const HEX_KEY = /^[0-9a-f]{64}$/;

/** The raw public key of an Ed25519 key object, hex. */
export const rawPublicKeyHex = (key: KeyObject): string => {
  const jwk = createPublicKey(key).export({ format: 'jwk' }) as { x?: string };
  return Buffer.from(jwk.x ?? '', 'base64url').toString('hex');
};

/**
 * The verifying key of a raw Ed25519 public key in hex. Throws `config_invalid` `{why}` for
 * anything that is not 64 hex digits.
 */
export const sealPublicKeyFromHex = (hex: string): KeyObject => {
  const clean = hex.trim().toLowerCase();
  if (!HEX_KEY.test(clean)) {
    throw new LilyError('config_invalid', 'the dispatch seal public key is not 64 hex digits', {
      why: 'seal_public_key',
    });
  }
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(clean, 'hex').toString('base64url') },
    format: 'jwk',
  });
};

/**
 * Writes `text` to `file` whole (0600) unless it exists: written under a temporary name and
 * linked into place, so of two processes creating it at once one wins and nobody reads half a
 * key. Returns the content now in `file` (ours or the winner's).
 */
const createOnce = async (file: string, text: string): Promise<string> => {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    await chmod(file, 0o600);
    return text;
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return readFile(file, 'utf8');
    throw e;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
};

const readIfExists = async (file: string): Promise<string | undefined> => {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
};

const loadSealKey = async (dir: string): Promise<KeyObject> => {
  const file = join(dir, SEAL_KEY_FILE);
  let pem = await readIfExists(file);
  if (pem === undefined) {
    const { privateKey } = generateKeyPairSync('ed25519');
    pem = await createOnce(file, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  }
  try {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`a ${key.asymmetricKeyType} key`);
    return key;
  } catch (e) {
    throw new LilyError(
      'config_invalid',
      `${file} is not an Ed25519 private key: ${(e as Error).message}`,
      {
        file,
        why: 'seal_key',
      },
      { cause: e },
    );
  }
};

const loadReplySecret = async (dir: string): Promise<Buffer> => {
  const file = join(dir, REPLY_SECRET_FILE);
  const text = (await readIfExists(file)) ?? (await createOnce(file, randomBytes(32).toString('hex')));
  const secret = Buffer.from(text.trim(), 'hex');
  if (secret.length < 32) {
    throw new LilyError('config_invalid', `${file} holds fewer than 32 bytes`, { file, why: 'reply_key' });
  }
  return secret;
};

/**
 * The engine's keys in `keysDir` (`.lily/keys`), each made on first use (0600, the directory
 * 0700) and kept. Safe to call from several processes at once. Throws `config_invalid` for a
 * key file that does not hold a key, and the fs error when the directory is not writable.
 */
export const loadOrCreateEngineKeys = async (keysDir: string): Promise<EngineKeys> => {
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const sealKey = await loadSealKey(keysDir);
  const sealPublicKey = rawPublicKeyHex(sealKey);
  const pubFile = join(keysDir, SEAL_PUBLIC_FILE);
  if ((await readIfExists(pubFile))?.trim() !== sealPublicKey) {
    await writeFile(pubFile, `${sealPublicKey}\n`, { mode: 0o600 });
  }
  return { sealKey, sealPublicKey, replySecret: await loadReplySecret(keysDir) };
};

/**
 * The public key a worker on this machine verifies dispatches with: the project's
 * `dispatch-seal.pub`, made with the rest of the engine's keys when the engine has not run yet.
 */
export const loadLocalSealPublicKey = async (keysDir: string): Promise<string> => {
  const text = await readIfExists(join(keysDir, SEAL_PUBLIC_FILE));
  if (text !== undefined && HEX_KEY.test(text.trim())) return text.trim();
  return (await loadOrCreateEngineKeys(keysDir)).sealPublicKey;
};

/** A fresh set of engine keys kept in memory only (tests, throwaway engines). */
export const createEngineKeys = (): EngineKeys => {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { sealKey: privateKey, sealPublicKey: rawPublicKeyHex(privateKey), replySecret: randomBytes(32) };
};
