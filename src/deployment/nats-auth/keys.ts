import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createAccount,
  createOperator,
  encodeAccount,
  encodeOperator,
  fromSeed,
  type KeyPair,
} from '@nats-io/jwt';
import { LilyError } from '../../contracts/errors.js';

/**
 * The signing keys of a project's NATS trust chain (decentralized JWT auth, docs/decisions/
 * 014): an operator, the project's account (every Lily user is signed by it) and a system
 * account (the server's own, no users). Each is an nkey seed in `.lily/keys/nats/<name>.nk`,
 * 0600 in a 0700 directory, made once and kept across restarts, so a credential issued with
 * `lily creds issue` stays valid while the managed server is restarted.
 */
export interface NatsTrust {
  operator: KeyPair;
  account: KeyPair;
  system: KeyPair;
}

/** `.lily/keys/nats`. */
export const natsKeysDir = (keysDir: string): string => join(keysDir, 'nats');

type KeyName = keyof NatsTrust;
const PREFIX: Record<KeyName, string> = { operator: 'SO', account: 'SA', system: 'SA' };
const CREATE: Record<KeyName, () => KeyPair> = {
  operator: createOperator,
  account: createAccount,
  system: createAccount,
};

const fromFile = (file: string, name: KeyName, text: string): KeyPair => {
  const seed = text.trim();
  try {
    if (!seed.startsWith(PREFIX[name])) throw new Error(`not an ${name} seed`);
    return fromSeed(new TextEncoder().encode(seed));
  } catch (e) {
    throw new LilyError(
      'config_invalid',
      `${file} does not hold a NATS ${name} seed: restore it from a backup (credentials signed with the lost key stop working), or delete .lily/keys/nats/ to make a new trust chain`,
      { file, key: name },
      { cause: e },
    );
  }
};

const loadOrCreateKey = async (dir: string, name: KeyName): Promise<KeyPair> => {
  const file = join(dir, `${name}.nk`);
  try {
    return fromFile(file, name, await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
  const pair = CREATE[name]();
  try {
    await writeFile(file, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process made it first: use theirs.
    if ((e as { code?: string }).code === 'EEXIST') return fromFile(file, name, await readFile(file, 'utf8'));
    throw e;
  }
  await chmod(file, 0o600);
  return pair;
};

/**
 * Reads the project's NATS signing keys from `<keysDir>/nats/`, creating the missing ones.
 * Throws `config_invalid` `{file, key}` for a file that does not hold the right kind of seed.
 */
export const loadOrCreateNatsTrust = async (keysDir: string): Promise<NatsTrust> => {
  const dir = natsKeysDir(keysDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  return {
    operator: await loadOrCreateKey(dir, 'operator'),
    account: await loadOrCreateKey(dir, 'account'),
    system: await loadOrCreateKey(dir, 'system'),
  };
};

/** Unlimited JetStream (memory, disk, streams, consumers) and connections for the project account. */
const ACCOUNT_LIMITS = {
  subs: -1,
  conn: -1,
  leaf: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

/** What the server config of a trusting nats-server needs: all public (JWTs), no seed. */
export interface TrustJwts {
  operatorJwt: string;
  accountPublicKey: string;
  accountJwt: string;
  systemPublicKey: string;
  systemJwt: string;
}

/** Signs the operator JWT and both account JWTs (fresh each time: they hold no state). */
export const trustJwts = async (trust: NatsTrust, projectName: string): Promise<TrustJwts> => {
  const systemPublicKey = trust.system.getPublicKey();
  const operatorJwt = await encodeOperator('lily', trust.operator, { system_account: systemPublicKey });
  const accountJwt = await encodeAccount(
    `lily ${projectName}`,
    trust.account,
    { limits: ACCOUNT_LIMITS },
    { signer: trust.operator },
  );
  const systemJwt = await encodeAccount('SYS', trust.system, {}, { signer: trust.operator });
  return {
    operatorJwt,
    accountPublicKey: trust.account.getPublicKey(),
    accountJwt,
    systemPublicKey,
    systemJwt,
  };
};
