import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { executorFns } from '../actors/runtime/executor-fns.js';
import { loadOrCreateEngineKeys } from '../actors/trust/engine-keys.js';
import { LilyError } from '../contracts/errors.js';
import { loadConfig } from '../project/config.js';
import { loadOrCreateProjectIdentity } from '../project/identity.js';
import { loadCatalog } from '../project/open.js';
import { requireProject } from '../project/paths.js';
import { issueCredential } from './nats-auth/creds.js';
import { parseDuration } from './nats-auth/duration.js';
import { loadOrCreateNatsTrust } from './nats-auth/keys.js';
import { type LilyRole, parseRole, type RolePermissions } from './nats-auth/roles.js';
import { writeFileAtomic } from './nats-server/files.js';
import { managedNatsUrl } from './nats-server/managed-nats.js';

export interface IssueCredentialFileOptions {
  /** The project directory. */
  dir: string;
  role: string;
  /** Where to write the `.creds` file (relative to the current directory). */
  out: string;
  /** The user's name in the JWT and the server's logs; default `<role>@<hostname>`. */
  name?: string;
  /** `30d`, `12h`, ...: the server refuses the credential after that; default never. */
  expires?: string;
  /** Worker: only these executors/partitioners (default: every one the project has). */
  executors?: readonly string[];
  /** Replace an existing file. */
  force?: boolean;
  now?: () => number;
}

export interface IssuedCredentialFile {
  file: string;
  role: LilyRole;
  namespace: string;
  /** The user's public nkey. */
  user: string;
  name: string;
  /** Epoch ms, or undefined: never expires. */
  expiresAt: number | undefined;
  executors: string[] | undefined;
  permissions: RolePermissions;
  /** The managed server's url while it runs (what `lily worker --nats` needs on this host). */
  url: string | undefined;
}

const workerExecutors = async (
  dir: string,
  config: Awaited<ReturnType<typeof loadConfig>>,
  wanted?: readonly string[],
): Promise<string[]> => {
  const paths = requireProject(dir);
  const fns = executorFns(await loadCatalog(paths, config));
  const known = [...new Set([...Object.keys(fns.executors), ...Object.keys(fns.partitioners)])].sort();
  if (wanted === undefined || wanted.length === 0) return known;
  const unknown = wanted.filter((e) => !known.includes(e));
  if (unknown.length > 0) {
    throw new LilyError(
      'usage_invalid',
      `--executor ${unknown.join(', ')}: not an executor of this project (known: ${known.join(', ')})`,
      { reason: 'executor', value: unknown, known },
    );
  }
  return [...new Set(wanted)].sort();
};

/**
 * `lily creds issue <role> --out FILE`: signs a user JWT for `role` in the project's namespace
 * with the project's NATS account key (made on first use; the managed server trusts it) and
 * writes a standard `.creds` file, mode 0600 (its directory is created 0700 when missing). A
 * worker credential allows exactly the project's executors (or `--executor`s), each only in
 * its queue group; see nats-auth/roles.ts for every role.
 *
 * Throws `usage_invalid` (unknown role or executor, bad `--expires`, the file exists without
 * `force`, a project on an external NATS whose credentials that server's operator issues),
 * `project_not_initialized`, `config_invalid`.
 */
export const issueCredentialFile = async (o: IssueCredentialFileOptions): Promise<IssuedCredentialFile> => {
  const role = parseRole(o.role);
  const now = o.now ?? Date.now;
  const expiresAt = o.expires === undefined ? undefined : now() + parseDuration(o.expires);
  const paths = requireProject(o.dir);
  const config = await loadConfig(paths.config);
  if (!config.nats.managed) {
    throw new LilyError(
      'usage_invalid',
      `this project uses the NATS at ${config.nats.url}: its credentials come from that server's operator (nsc), with the permissions in docs/security.md "Roles and credentials"`,
      { reason: 'external_nats', url: config.nats.url },
    );
  }
  if (o.executors?.length && role !== 'worker') {
    throw new LilyError('usage_invalid', '--executor is for worker credentials only', {
      reason: 'executor',
      value: o.executors,
    });
  }
  const file = resolve(o.out);
  if (existsSync(file) && !o.force) {
    throw new LilyError('usage_invalid', `${file} exists: pass --force to replace it`, {
      reason: 'out',
      value: file,
    });
  }
  const executors = role === 'worker' ? await workerExecutors(o.dir, config, o.executors) : undefined;
  const name = o.name ?? `${role}@${hostname()}`;
  const trust = await loadOrCreateNatsTrust(paths.keys);
  const issued = await issueCredential(trust.account, {
    role,
    ns: config.namespace,
    projectId: (await loadOrCreateProjectIdentity(paths)).id,
    name,
    ...(executors ? { executors } : {}),
    // A worker elsewhere verifies dispatches with the engine's public key, carried in its tags.
    ...(role === 'worker' ? { sealPublicKey: (await loadOrCreateEngineKeys(paths.keys)).sealPublicKey } : {}),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  });
  await writeFileAtomic(file, issued.text, 0o600);
  return {
    file,
    role,
    namespace: config.namespace,
    user: issued.userPublicKey,
    name,
    expiresAt: issued.expiresAt,
    executors,
    permissions: issued.permissions,
    url: await managedNatsUrl(paths.root),
  };
};
