import type { Bus } from '../../actors/bus/bus.js';
import { silentLogger } from '../../actors/logger.js';
import { connectTarget, type NatsTarget, resolveNatsTarget } from '../../deployment/connect.js';
import { daemonAlive, managedNatsStatus, readDeploymentState } from '../../deployment/nats-server/index.js';
import type { LilyConfig } from '../../project/config.js';
import type { ProjectPaths } from '../../project/paths.js';

/** Which engine served an operation: a `lily up` deployment, an explicit NATS, or one started for this client. */
export type EngineMode = 'deployment' | 'explicit' | 'ephemeral';

/** Where a live operation finds an engine: an explicit NATS (option, env, config url) or the deployment. */
export interface LiveTarget extends NatsTarget {
  via: Exclude<EngineMode, 'ephemeral'>;
}

/** The project's paths, config and namespace: what every connection needs. */
export interface ProjectSettings {
  paths: ProjectPaths;
  config: LilyConfig;
  ns: string;
}

/** True when `.lily/deployment.json` names an engine that is alive (and is ours). */
export const deploymentEngineAlive = async (paths: ProjectPaths): Promise<boolean> => {
  const state = await readDeploymentState(paths.root);
  if (!state || 'invalid' in state) return false;
  return state.processes.some((p) => p.role === 'engine' && daemonAlive(p));
};

/**
 * The NATS of a running engine, if any: the client's `nats` option, `LILY_NATS_URL` or the
 * config's `nats.url` (the operator says an engine listens there), else the managed server of a
 * deployment whose engine is alive. Undefined when there is none.
 */
export const findLiveTarget = async (
  settings: ProjectSettings,
  nats: string | undefined,
): Promise<LiveTarget | undefined> => {
  const target = await resolveNatsTarget(settings.paths, settings.config, nats);
  if (target && target.source !== 'managed') return { ...target, via: 'explicit' };
  if (!(await deploymentEngineAlive(settings.paths))) return undefined;
  if ((await managedNatsStatus(settings.paths.root)).status !== 'running') return undefined;
  return target ? { ...target, via: 'deployment' } : undefined;
};

/**
 * The project's NATS when one is reachable, engine or not (tails and wake-ups need no engine):
 * an explicit url, or the managed server while it runs. Undefined otherwise.
 */
export const findProjectNats = async (
  settings: ProjectSettings,
  nats: string | undefined,
): Promise<NatsTarget | undefined> => {
  const target = await resolveNatsTarget(settings.paths, settings.config, nats, 'observer');
  if (!target) return undefined;
  if (target.source !== 'managed') return target;
  return (await managedNatsStatus(settings.paths.root)).status === 'running' ? target : undefined;
};

/** Connects to a target (`bus_unavailable` when it does not answer). */
export const connectNats = (target: NatsTarget, name = 'lily-client'): Promise<Bus> =>
  connectTarget(target, name, silentLogger());
