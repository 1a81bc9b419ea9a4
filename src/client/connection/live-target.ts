import type { Bus } from '../../actors/bus/bus.js';
import { silentLogger } from '../../actors/logger.js';
import {
  connectTarget,
  managedNatsTarget,
  type NatsTarget,
  resolveNatsTarget,
} from '../../deployment/connect.js';
import {
  type DeploymentState,
  daemonAlive,
  managedNatsStatus,
  readDeploymentState,
} from '../../deployment/nats-server/index.js';
import type { LilyConfig } from '../../project/config.js';
import type { ProjectPaths } from '../../project/paths.js';

/** Which engine served an operation: a `lily up` deployment, an explicit NATS, or one started for this client. */
export type EngineMode = 'deployment' | 'explicit' | 'ephemeral';

/**
 * Where a live operation finds an engine: an explicit NATS (option, env, config url), the
 * deployment, or the ephemeral engine of another `lily jobs run` (recorded in deployment.json).
 */
export interface LiveTarget extends NatsTarget {
  via: EngineMode;
}

/** The project's paths, config and namespace: what every connection needs. */
export interface ProjectSettings {
  paths: ProjectPaths;
  config: LilyConfig;
  ns: string;
}

/** The deployment (or ephemeral engine) `.lily/deployment.json` records, when its engine is alive. */
export const liveDeployment = async (paths: ProjectPaths): Promise<DeploymentState | undefined> => {
  const state = await readDeploymentState(paths.root);
  if (!state || 'invalid' in state) return undefined;
  return state.processes.some((p) => p.role === 'engine' && daemonAlive(p)) ? state : undefined;
};

/** True when `.lily/deployment.json` names an engine that is alive (and is ours). */
export const deploymentEngineAlive = async (paths: ProjectPaths): Promise<boolean> =>
  (await liveDeployment(paths)) !== undefined;

/**
 * The NATS of a running engine, if any: the client's `nats` option, `LILY_NATS_URL` or the
 * config's `nats.url` (the operator says an engine listens there), else the managed server of a
 * deployment or ephemeral engine that is alive (from `.lily/nats/state.json`, else from the
 * url `deployment.json` recorded: the state directory may have been deleted under a running
 * server). Undefined when there is none.
 */
export const findLiveTarget = async (
  settings: ProjectSettings,
  nats: string | undefined,
): Promise<LiveTarget | undefined> => {
  const target = await resolveNatsTarget(settings.paths, settings.config, nats);
  if (target && target.source !== 'managed') return { ...target, via: 'explicit' };
  const live = await liveDeployment(settings.paths);
  if (!live) return undefined;
  const via = live.kind === 'ephemeral' ? 'ephemeral' : 'deployment';
  const managed = await managedNatsStatus(settings.paths.root);
  if (target && managed.status === 'running') return { ...target, via };
  if (!live.nats.managed) return undefined;
  return { ...managedNatsTarget(settings.paths, settings.ns, live.nats.url, 'operator'), via };
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
