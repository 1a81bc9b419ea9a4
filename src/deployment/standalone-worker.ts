import { hostname } from 'node:os';
import type { Logger } from '../actors/logger.js';
import { LilyError } from '../contracts/errors.js';
import { loadConfig } from '../project/config.js';
import { isProject, requireProject } from '../project/paths.js';
import { resolveNatsTarget } from './connect.js';
import { readDeploymentState } from './nats-server/daemon.js';
import { startRemoteWorker } from './remote-worker.js';
import type { LedgerKind } from './shared-state.js';
import { type RunningWorker, startWorkerProcess } from './worker-process.js';

export interface StandaloneWorkerOptions {
  /** The worker's directory: a Lily project (without `creds`), or any directory (with `creds`). */
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
  /** The directory its steps run in. */
  workspace: string;
}

const defaultId = (): string => `${hostname().replace(/[^A-Za-z0-9_-]/g, '-')}-${process.pid}`;

/**
 * `lily worker [--nats URL] [--creds FILE] --dir DIR`: a worker in the foreground.
 *
 * - With `--creds`: a worker of its own anywhere (remote-worker.ts): NATS, the credential and DIR
 *   are all it needs; the namespace, project and grant key come from the credential's tags; the
 *   ledger and artifacts are on NATS; steps run in DIR, which need not be a Lily project.
 * - Without: a worker of the project in DIR on this machine (its storage, its config's NATS and
 *   the ledger its deployment records).
 *
 * Either holds its namespace like every worker (`namespace_in_use` when another project's engine
 * or workers answer there).
 *
 * Throws `usage_invalid` (a credential of another role), `config_invalid` (an unreadable or
 * expired credential), `bus_unavailable`, `namespace_in_use`, and the project errors of
 * `startWorkerProcess`.
 */
export const startStandaloneWorker = async (o: StandaloneWorkerOptions): Promise<StandaloneWorker> => {
  const id = o.id ?? defaultId();
  if (o.creds !== undefined) return startElsewhere({ ...o, creds: o.creds }, id);
  const paths = requireProject(o.dir);
  const config = await loadConfig(paths.config);
  const target = await resolveNatsTarget(paths, config, o.nats, 'worker');
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
    namespace: config.namespace,
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
    ...(await recordedLedger(paths.root)),
  });
  return { ...running, id, namespace: config.namespace, url: target.url, workspace: paths.dir };
};

/** With a credential: a worker of its own (remote-worker.ts), whatever DIR is. */
const startElsewhere = async (
  o: StandaloneWorkerOptions & { creds: string },
  id: string,
): Promise<StandaloneWorker> => {
  const url = o.nats ?? (isProject(o.dir) ? await projectNatsUrl(o.dir) : undefined);
  if (url === undefined) {
    throw new LilyError('bus_unavailable', 'no NATS to connect to: pass --nats <url>', { hint: '--nats' });
  }
  const running = await startRemoteWorker({
    dir: o.dir,
    nats: url,
    creds: o.creds,
    id,
    log: o.log,
    ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
  });
  return { ...running, id };
};

/** The NATS url of a project checkout in DIR (its config's, or its running managed server). */
const projectNatsUrl = async (dir: string): Promise<string | undefined> => {
  const paths = requireProject(dir);
  return (await resolveNatsTarget(paths, await loadConfig(paths.config), undefined, 'worker'))?.url;
};

/** The ledger `lily up` recorded for the running deployment, so a worker added by hand agrees. */
const recordedLedger = async (lilyRoot: string): Promise<{ ledger?: LedgerKind }> => {
  const state = await readDeploymentState(lilyRoot);
  return state && !('invalid' in state) && state.ledger ? { ledger: state.ledger } : {};
};
