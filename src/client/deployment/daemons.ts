import { randomBytes } from 'node:crypto';
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

/** How the daemons are asked to run: where workers share state, whether the engine runs executors. */
export interface DaemonOptions {
  /** `--ledger` for every daemon (omitted: each reads the config). */
  ledger?: 'lmdb' | 'nats';
  /** With no worker daemons, the engine runs executors itself unless this is false. */
  engineExecutors?: boolean;
}

/**
 * The engine (serving executors itself when `workers` is 0, unless `engineExecutors` is false:
 * then only workers that connect from elsewhere run steps) and `workers` worker daemons of the
 * project in `dir`. `--concurrency` follows `--id` so that `--id 1` never matches `--id 10`.
 */
export const planDaemons = (
  dir: string,
  workers: number,
  nats: string | undefined,
  o: DaemonOptions = {},
): DaemonPlan[] => {
  const main = daemonMainPath();
  const natsArgs = [...(nats ? ['--nats', nats] : []), ...(o.ledger ? ['--ledger', o.ledger] : [])];
  const withWorker = workers === 0 && o.engineExecutors !== false;
  const engineArgs = [main, 'engine', '--dir', dir, ...(withWorker ? ['--with-worker'] : []), ...natsArgs];
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

/**
 * Pings every process of the namespace at once (`sys.ping`, answers on `sys.pong.<nonce>`) and
 * collects the answers for `windowMs`: engines and workers, wherever they run. Answers that do
 * not parse are skipped.
 */
export const pingEveryone = async (bus: Bus, ns: string, windowMs: number): Promise<PingReply[]> => {
  const reply = sysSubject(ns, 'pong', randomBytes(12).toString('hex'));
  const answers: PingReply[] = [];
  const sub = bus.subscribeTyped(reply, pingReplySchema, (answer) => {
    answers.push(answer);
  });
  try {
    await bus.flush();
    bus.publish(sysSubject(ns, 'ping'), {}, { reply });
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    return answers;
  } finally {
    sub.unsubscribe();
  }
};
