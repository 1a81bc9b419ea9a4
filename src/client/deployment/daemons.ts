import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bus } from '../../actors/bus/bus.js';
import { silentLogger } from '../../actors/logger.js';
import { type PingReply, pingReplySchema } from '../../actors/messages.js';
import { sysSubject } from '../../actors/subjects.js';
import { connectTarget, managedNatsTarget, resolveNatsTarget } from '../../deployment/connect.js';
import {
  type DaemonRecord,
  type DeploymentState,
  managedNatsUrl,
} from '../../deployment/nats-server/index.js';
import { loadConfig } from '../../project/config.js';
import { projectPaths } from '../../project/paths.js';

/** `dist/deployment/daemon-main.js`: the entry point of engine and worker daemons. */
export const daemonMainPath = (): string =>
  fileURLToPath(new URL('../../deployment/daemon-main.js', import.meta.url));

/** The sys.ping actor name of a deployment process (`engine`, `worker-<id>`). */
export const actorOf = (record: Pick<DaemonRecord, 'id'>): string => record.id;

/** What one process of a deployment is asked to be: its argv after `node` and its marker. */
export interface DaemonPlan {
  role: 'engine' | 'worker';
  id: string;
  args: string[];
  /** A prefix of the argv that only this process of this project has. */
  marker: string;
}

/**
 * The engine (serving executors itself when `workers` is 0) and `workers` worker daemons of
 * the project in `dir`. `--concurrency` follows `--id` so that `--id 1` never matches `--id 10`.
 */
export const planDaemons = (dir: string, workers: number, nats: string | undefined): DaemonPlan[] => {
  const main = daemonMainPath();
  const natsArgs = nats ? ['--nats', nats] : [];
  const engineArgs = [main, 'engine', '--dir', dir, ...(workers === 0 ? ['--with-worker'] : []), ...natsArgs];
  const plans: DaemonPlan[] = [
    { role: 'engine', id: 'engine', args: engineArgs, marker: `${main} engine --dir ${dir}` },
  ];
  for (let i = 1; i <= workers; i++) {
    const args = [main, 'worker', '--dir', dir, '--id', String(i), '--concurrency', '16', ...natsArgs];
    plans.push({
      role: 'worker',
      id: `worker-${i}`,
      args,
      marker: `${main} worker --dir ${dir} --id ${i} --concurrency`,
    });
  }
  return plans;
};

/**
 * Connects to the NATS a deployment records, as an operator: the managed server with a minted
 * operator credential; an external one with the project's operator credential (connect.ts).
 */
export const deploymentBus = async (lilyRoot: string, state: DeploymentState): Promise<Bus | undefined> => {
  try {
    const paths = projectPaths(dirname(lilyRoot));
    if (state.nats.managed) {
      const url = await managedNatsUrl(lilyRoot);
      if (!url) return undefined;
      return await connectTarget(
        managedNatsTarget(paths, state.namespace, url, 'operator'),
        'lily-client',
        silentLogger(),
      );
    }
    const target = await resolveNatsTarget(paths, await loadConfig(paths.config), state.nats.url, 'operator');
    return await connectTarget(target, 'lily-client', silentLogger());
  } catch {
    return undefined;
  }
};

/** The sys.ping reply of one actor, or undefined when it does not answer in `timeoutMs`. */
export const pingActor = async (
  bus: Bus,
  ns: string,
  actor: string,
  timeoutMs: number,
): Promise<PingReply | undefined> => {
  try {
    return await bus.requestTyped(sysSubject(ns, 'ping', actor), {}, pingReplySchema, { timeoutMs });
  } catch {
    return undefined;
  }
};
