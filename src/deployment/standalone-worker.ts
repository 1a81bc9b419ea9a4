import { hostname } from 'node:os';
import type { Logger } from '../actors/logger.js';
import { LilyError } from '../contracts/errors.js';
import { loadConfig } from '../project/config.js';
import { requireProject } from '../project/paths.js';
import { type NatsTarget, namespaceSeat, readCredentialFile, resolveNatsTarget } from './connect.js';
import { type RunningWorker, startWorkerProcess } from './worker-process.js';

export interface StandaloneWorkerOptions {
  /** The worker's directory. Today a Lily project: the worker opens its catalog, policy, keys and storage. */
  dir: string;
  /** NATS url; default: the project's (its config's url, or its managed server). */
  nats?: string;
  /** A credential file (`lily creds issue worker`); default: the project's own worker credential. */
  creds?: string;
  /** Worker id (`worker-<id>` in `lily status` and the dispatch ledger); default `<host>-<pid>`. */
  id?: string;
  concurrency?: number;
  log: Logger;
}

export interface StandaloneWorker extends RunningWorker {
  id: string;
  namespace: string;
  url: string;
}

const defaultId = (): string => `${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}`;

/**
 * `lily worker [--nats URL] [--creds FILE] --dir DIR`: a worker in the foreground, connected with
 * its own credential. The namespace and the project it serves come from the credential's tags
 * when it has them (`lily creds issue` writes them), else from DIR's project; it holds that
 * namespace like every worker (`namespace_in_use` when another project's engine or workers
 * answer there).
 *
 * Throws `usage_invalid` (a credential of another role), `config_invalid` (an unreadable or
 * expired credential), `bus_unavailable`, `namespace_in_use`, and the project errors of
 * `startWorkerProcess`.
 */
export const startStandaloneWorker = async (o: StandaloneWorkerOptions): Promise<StandaloneWorker> => {
  const paths = requireProject(o.dir);
  const config = await loadConfig(paths.config);
  const id = o.id ?? defaultId();
  let target: NatsTarget | undefined;
  let namespace = config.namespace;
  let sealPublicKey: string | undefined;
  if (o.creds === undefined) {
    target = await resolveNatsTarget(paths, config, o.nats, 'worker');
  } else {
    const { info } = readCredentialFile(o.creds);
    if (info.role !== undefined && info.role !== 'worker') {
      throw new LilyError('usage_invalid', `${o.creds} is a ${info.role} credential, not a worker's`, {
        reason: 'creds',
        value: o.creds,
        role: info.role,
      });
    }
    namespace = info.ns ?? namespace;
    sealPublicKey = info.sealPublicKey;
    const url = o.nats ?? (await resolveNatsTarget(paths, config, undefined, 'worker'))?.url;
    if (url === undefined) {
      throw new LilyError('bus_unavailable', 'no NATS to connect to: pass --nats <url>', { hint: '--nats' });
    }
    const seat = await namespaceSeat(paths, namespace, 'worker');
    target = {
      url,
      credential: { kind: 'file', file: o.creds },
      seat: { ...seat, projectId: info.projectId ?? seat.projectId },
      source: 'flag',
    };
  }
  if (target === undefined) {
    throw new LilyError('bus_unavailable', 'no NATS to connect to: run `lily up`, or pass --nats <url>', {
      hint: 'lily up',
    });
  }
  const running = await startWorkerProcess({
    dir: paths.dir,
    id,
    log: o.log,
    target,
    namespace,
    ...(sealPublicKey !== undefined ? { sealPublicKey } : {}),
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
  });
  return { ...running, id, namespace, url: target.url };
};
