import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Bus } from '../actors/bus/bus.js';
import { connectNatsBus } from '../actors/bus/nats-bus.js';
import type { Logger } from '../actors/logger.js';
import { LilyError } from '../contracts/errors.js';
import type { LilyConfig } from '../project/config.js';
import { loadOrCreateProjectIdentity } from '../project/identity.js';
import type { ProjectPaths } from '../project/paths.js';
import { claimNamespace, processOwner } from './namespace-claim.js';
import { type CredentialInfo, describeCredential, issueCredential } from './nats-auth/creds.js';
import { loadOrCreateNatsTrust } from './nats-auth/keys.js';
import type { LilyRole } from './nats-auth/roles.js';

/** Who a process connects as: its role and, for a worker, the executors it serves. */
export interface ConnectAs {
  role: LilyRole;
  /** Worker: executor and partitioner names (its credential allows exactly these queue groups). */
  executors?: readonly string[];
}

/**
 * How a target authenticates: a credential file (`.creds` or an nkey seed; re-read at every
 * reconnect, so it can be rotated in place), or a credential minted at connect time from the
 * project's account key for the project's own managed server.
 */
export type NatsCredentialSource =
  | { kind: 'file'; file: string }
  | { kind: 'managed'; keysDir: string; ns: string; as: ConnectAs };

/** The project a connection speaks for in its namespace (see namespace-claim.ts). */
export interface NamespaceSeat {
  ns: string;
  projectId: string;
  /** The project directory. */
  dir: string;
  /** Engines and workers hold the namespace; operators and observers only check it. */
  role: LilyRole;
}

export interface NatsTarget {
  url: string;
  token?: string;
  credential?: NatsCredentialSource;
  /** Claim (engine, worker) or check (operator, observer) the namespace when connecting. */
  seat?: NamespaceSeat;
  /** Where the target came from, for messages. */
  source: 'flag' | 'env' | 'config' | 'managed';
}

/** The seat of a project's process of `role` in the namespace `ns` (creates the project id once). */
export const namespaceSeat = async (
  paths: Pick<ProjectPaths, 'keys' | 'dir'>,
  ns: string,
  role: LilyRole,
): Promise<NamespaceSeat> => ({
  ns,
  projectId: (await loadOrCreateProjectIdentity(paths)).id,
  dir: paths.dir,
  role,
});

const asOf = (as: LilyRole | ConnectAs): ConnectAs => (typeof as === 'string' ? { role: as } : as);

/**
 * The environment of the daemons `lily up` starts: this process's own credential
 * (`LILY_NATS_CREDS`, e.g. an operator's) is not theirs; each takes its role's from the config.
 */
export const daemonEnv = (env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv => {
  const { LILY_NATS_CREDS: _own, ...rest } = env;
  return rest;
};

/** The credential file for an explicit NATS: `LILY_NATS_CREDS`, else the config's `nats.creds.<role>`. */
const explicitCredential = (
  paths: ProjectPaths,
  config: LilyConfig,
  role: LilyRole,
): NatsCredentialSource | undefined => {
  const file = process.env.LILY_NATS_CREDS || (config.nats.managed ? undefined : config.nats.creds?.[role]);
  return file ? { kind: 'file', file: resolve(paths.dir, file) } : undefined;
};

/**
 * Which NATS to talk to: `--nats <url>` (then `LILY_NATS_URL`), the config's `nats.url`, else
 * the managed server recorded in `.lily/nats/state.json`. For an explicit NATS the credential
 * is `LILY_NATS_CREDS` or the config's `nats.creds.<role>` (a path), and `LILY_NATS_TOKEN` a
 * token; for the managed server a credential of `as`'s role is minted when connecting.
 */
export const resolveNatsTarget = async (
  paths: ProjectPaths,
  config: LilyConfig,
  flag?: string,
  as: LilyRole | ConnectAs = 'operator',
): Promise<NatsTarget | undefined> => {
  const who = asOf(as);
  const token = process.env.LILY_NATS_TOKEN;
  const seat = await namespaceSeat(paths, config.namespace, who.role);
  const explicit = (t: Pick<NatsTarget, 'url' | 'source'>): NatsTarget => {
    const credential = explicitCredential(paths, config, who.role);
    return { ...t, seat, ...(token ? { token } : {}), ...(credential ? { credential } : {}) };
  };
  if (flag) return explicit({ url: flag, source: 'flag' });
  if (process.env.LILY_NATS_URL) return explicit({ url: process.env.LILY_NATS_URL, source: 'env' });
  if (!config.nats.managed) return explicit({ url: config.nats.url, source: 'config' });
  try {
    const state = JSON.parse(await readFile(join(paths.nats, 'state.json'), 'utf8')) as { url?: unknown };
    if (typeof state.url !== 'string') return undefined;
    return { ...managedNatsTarget(paths, config.namespace, state.url, who), seat };
  } catch {
    return undefined;
  }
};

/** The project's managed server at `url`, as `as` (a credential minted when connecting). */
export const managedNatsTarget = (
  paths: Pick<ProjectPaths, 'keys'>,
  ns: string,
  url: string,
  as: LilyRole | ConnectAs,
): NatsTarget => ({
  url,
  credential: { kind: 'managed', keysDir: paths.keys, ns, as: asOf(as) },
  source: 'managed',
});

/** A credential file as the bus reads it, checked once up front. */
export const readCredentialFile = (file: string): { read: () => string; info: CredentialInfo } => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new LilyError(
      'config_invalid',
      `cannot read the NATS credential ${file}: ${(e as Error).message}`,
      {
        file,
      },
      { cause: e },
    );
  }
  return { read: () => readFileSync(file, 'utf8'), info: describeCredential(text, file) };
};

const materialize = async (
  source: NatsCredentialSource,
): Promise<{ read: () => string; info: CredentialInfo; label: string }> => {
  if (source.kind === 'file') return { ...readCredentialFile(source.file), label: source.file };
  const trust = await loadOrCreateNatsTrust(source.keysDir);
  const issued = await issueCredential(trust.account, {
    role: source.as.role,
    ns: source.ns,
    ...(source.as.executors ? { executors: source.as.executors } : {}),
  });
  const label = `the project's ${source.as.role} credential`;
  return { read: () => issued.text, info: describeCredential(issued.text, label), label };
};

const checkUsable = (info: CredentialInfo, label: string, ns: string | undefined): void => {
  if (info.expiresAt !== undefined && info.expiresAt <= Date.now()) {
    throw new LilyError(
      'config_invalid',
      `the NATS credential ${label} expired at ${new Date(info.expiresAt).toISOString()}: issue a new one (lily creds issue)`,
      { file: label, expiresAt: info.expiresAt },
    );
  }
  if (ns !== undefined && info.ns !== undefined && info.ns !== ns) {
    throw new LilyError(
      'config_invalid',
      `the NATS credential ${label} is for namespace ${JSON.stringify(info.ns)}, not ${JSON.stringify(ns)}`,
      { file: label, credentialNamespace: info.ns, namespace: ns },
    );
  }
};

export interface ConnectTargetOptions {
  /** How long a namespace probe collects answers (namespace-claim.ts); default 300 ms. */
  probeWindowMs?: number;
}

const HOLDERS: readonly LilyRole[] = ['engine', 'worker'];

/**
 * Connects the bus to a target with its credential, then claims (engine, worker) or checks
 * (operator, observer) the target's namespace seat, if it has one: on a NATS other than the
 * project's managed server it first probes for another project's processes. `name` is the
 * connection's name and the actor named in the claim.
 * Throws `bus_unavailable` (no target, or NATS refuses/does not answer: the message says how to
 * get one), `config_invalid` (an unreadable, expired or other-namespace credential),
 * `namespace_in_use` (another project holds the namespace there).
 */
export const connectTarget = async (
  target: NatsTarget | undefined,
  name: string,
  log: Logger,
  options: ConnectTargetOptions = {},
): Promise<Bus> => {
  if (!target) {
    throw new LilyError(
      'bus_unavailable',
      'no NATS to connect to: run `lily up`, or pass --nats <url> / set LILY_NATS_URL',
      {},
    );
  }
  const credential = target.credential ? await materialize(target.credential) : undefined;
  if (credential) checkUsable(credential.info, credential.label, target.seat?.ns);
  const bus = await connectNatsBus({
    // `nats://a:4222,nats://b:4222`: every node of a cluster, so the client can fail over at once.
    servers: target.url
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u.length > 0),
    ...(target.token ? { token: target.token } : {}),
    ...(credential ? { credentials: credential.read, inboxPrefix: credential.info.inboxPrefix } : {}),
    name,
    logger: log,
  });
  const seat = target.seat;
  if (seat) {
    try {
      await claimNamespace({
        bus,
        ns: seat.ns,
        me: processOwner(seat.projectId, seat.dir, seat.role, name),
        log,
        hold: HOLDERS.includes(seat.role),
        probe: target.source !== 'managed',
        ...(options.probeWindowMs === undefined ? {} : { windowMs: options.probeWindowMs }),
      });
    } catch (e) {
      await bus.close();
      throw e;
    }
  }
  return bus;
};
