import { hostname } from 'node:os';
import {
  type ClaimsData,
  createUser,
  decode,
  encodeUser,
  fmtCreds,
  fromSeed,
  type KeyPair,
  type User,
} from '@nats-io/jwt';
import { LilyError } from '../../contracts/errors.js';
import { isRole, type LilyRole, type RolePermissions, rolePermissions } from './roles.js';

/**
 * User credentials: standard NATS `.creds` files (a user JWT signed by the project account,
 * and the user's nkey seed). The JWT carries the role's permissions (roles.ts), a private
 * inbox prefix, and tags naming role, namespace and project, so a process given only the file
 * knows what it may do and for whom (`describeCredential`).
 */

export interface IssueCredentialOptions {
  role: LilyRole;
  ns: string;
  /** Shown by the server and in its logs: `worker-1@host`. Default `<role>@<hostname>`. */
  name?: string;
  /** For a worker: the executor and partitioner names it may serve. */
  executors?: readonly string[];
  /** Epoch ms after which the server refuses the credential; default: never. */
  expiresAt?: number;
  /** The project's id (project/identity.ts), recorded as a tag. */
  projectId?: string;
  /**
   * For a worker: the engine's dispatch-seal public key (hex), recorded as a tag, so a worker
   * given only this file verifies dispatches without the project's `.lily/keys`.
   */
  sealPublicKey?: string;
}

export interface IssuedCredential {
  /** The `.creds` file text (secret: it holds the seed). */
  text: string;
  /** The user's public nkey (`U…`): its identity in server logs. */
  userPublicKey: string;
  jwt: string;
  permissions: RolePermissions;
  inboxPrefix: string;
  expiresAt?: number;
}

/** `_INBOX_<user public key>`: replies to this user's requests; nobody else may subscribe there. */
export const privateInboxPrefix = (userPublicKey: string): string => `_INBOX_${userPublicKey}`;

const TAG = {
  role: 'lily-role:',
  ns: 'lily-ns:',
  project: 'lily-project:',
  sealKey: 'lily-seal-key:',
} as const;

/** Signs a user JWT for `role` with the account key and returns it as a `.creds` file. */
export const issueCredential = async (
  account: KeyPair,
  o: IssueCredentialOptions,
): Promise<IssuedCredential> => {
  const user = createUser();
  const userPublicKey = user.getPublicKey();
  const inboxPrefix = privateInboxPrefix(userPublicKey);
  const permissions = rolePermissions(o.role, o.ns, {
    inboxPrefix,
    ...(o.executors ? { executors: o.executors } : {}),
  });
  const tags = [`${TAG.role}${o.role}`, `${TAG.ns}${o.ns}`];
  if (o.projectId !== undefined) tags.push(`${TAG.project}${o.projectId}`);
  if (o.sealPublicKey !== undefined) tags.push(`${TAG.sealKey}${o.sealPublicKey.toLowerCase()}`);
  const jwt = await encodeUser(
    o.name ?? `${o.role}@${hostname()}`,
    user,
    account,
    { ...permissions, tags },
    o.expiresAt === undefined ? {} : { exp: Math.floor(o.expiresAt / 1000) },
  );
  return {
    text: new TextDecoder().decode(fmtCreds(jwt, user)),
    userPublicKey,
    jwt,
    permissions,
    inboxPrefix,
    ...(o.expiresAt === undefined ? {} : { expiresAt: Math.floor(o.expiresAt / 1000) * 1000 }),
  };
};

/** What a credential file says about its holder (nothing secret). */
export interface CredentialInfo {
  kind: 'jwt' | 'nkey';
  /** The user's public nkey. */
  user: string;
  /** The JWT's name (jwt only). */
  name?: string;
  role?: LilyRole;
  ns?: string;
  projectId?: string;
  /** The engine's dispatch-seal public key (hex) a worker credential carries. */
  sealPublicKey?: string;
  /** Epoch ms (jwt only, when it expires). */
  expiresAt?: number;
  /** Subscribe allow list (jwt only; empty = unrestricted). */
  subAllow: string[];
  /** The inbox prefix its permissions give it (`_INBOX` when unrestricted or unknown). */
  inboxPrefix: string;
}

const BLOCK = /\s*(?:(?:-{3,}[^\n]*-{3,}\n)(.+)(?:\n\s*-{3,}[^\n]*-{3,}\n))/gi;

const unreadable = (source: string, why: string, cause?: unknown) =>
  new LilyError(
    'config_invalid',
    `${source} is not a NATS credential (${why}): expected a .creds file or an nkey seed`,
    { file: source, why },
    cause === undefined ? undefined : { cause },
  );

/** The inbox prefix a subscribe allow list reserves (`_INBOX_X.>`), else the shared `_INBOX`. */
const inboxOf = (subAllow: readonly string[]): string => {
  if (subAllow.length === 0 || subAllow.some((s) => s === '>' || s === '_INBOX.>')) return '_INBOX';
  const own = subAllow.map((s) => /^(_INBOX[A-Za-z0-9_-]*)\.>$/.exec(s)?.[1]).find((p) => p !== undefined);
  return own ?? '_INBOX';
};

const tag = (tags: readonly string[] | undefined, prefix: string): string | undefined =>
  tags
    ?.find((t) => t.toLowerCase().startsWith(prefix))
    ?.slice(prefix.length)
    .trim();

/**
 * Reads a `.creds` file's text (or a bare user nkey seed, `SU…`), checking that the seed is a
 * user key and, for a JWT, that the JWT names that very key. `source` names it in errors.
 * Throws `config_invalid` `{file, why}`; never puts the seed in a message.
 */
export const describeCredential = (text: string, source: string): CredentialInfo => {
  const blocks = [...text.matchAll(BLOCK)].map((m) => (m[1] ?? '').trim());
  const seedText = blocks.length >= 2 ? (blocks[1] as string) : text.trim();
  let pair: KeyPair;
  try {
    if (!seedText.startsWith('SU')) throw new Error('no user seed');
    pair = fromSeed(new TextEncoder().encode(seedText));
  } catch (e) {
    throw unreadable(source, 'no user nkey seed', e);
  }
  const user = pair.getPublicKey();
  if (blocks.length < 2) return { kind: 'nkey', user, subAllow: [], inboxPrefix: '_INBOX' };
  let claims: ClaimsData<User>;
  try {
    claims = decode<User>(blocks[0] as string);
  } catch (e) {
    throw unreadable(source, 'the JWT does not decode', e);
  }
  if (claims.sub !== user) throw unreadable(source, 'the JWT is for another key than the seed');
  const subAllow = [...(claims.nats.sub?.allow ?? [])];
  const role = tag(claims.nats.tags, TAG.role);
  const ns = tag(claims.nats.tags, TAG.ns);
  const projectId = tag(claims.nats.tags, TAG.project);
  const sealPublicKey = tag(claims.nats.tags, TAG.sealKey)?.toLowerCase();
  return {
    kind: 'jwt',
    user,
    name: claims.name,
    ...(isRole(role) ? { role } : {}),
    ...(ns ? { ns } : {}),
    ...(projectId ? { projectId } : {}),
    ...(sealPublicKey ? { sealPublicKey } : {}),
    ...(claims.exp ? { expiresAt: claims.exp * 1000 } : {}),
    subAllow,
    inboxPrefix: inboxOf(subAllow),
  };
};
