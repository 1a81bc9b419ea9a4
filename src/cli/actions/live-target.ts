import type { Bus } from '../../actors/bus/bus.js';
import { silentLogger } from '../../actors/logger.js';
import { LilyError } from '../../contracts/errors.js';
import { connectTarget, type NatsTarget, resolveNatsTarget } from '../../deployment/connect.js';
import { daemonAlive, managedNatsStatus, readDeploymentState } from '../../deployment/nats-server/index.js';
import { type LilyConfig, loadConfig } from '../../project/config.js';
import { type ProjectPaths, requireProject } from '../../project/paths.js';
import type { CliContext } from '../context.js';

/** Where a live command finds an engine: an explicit NATS (flag, env, config url) or the deployment. */
export interface LiveTarget extends NatsTarget {
  /** `deployment`: the managed nats-server of a running `lily up`. */
  via: 'explicit' | 'deployment';
}

export interface ProjectSettings {
  paths: ProjectPaths;
  config: LilyConfig;
  ns: string;
}

/** The project's paths and config (no packs, no catalog: cheap). Throws `project_not_initialized`, `config_invalid`. */
export const projectSettings = async (dir: string): Promise<ProjectSettings> => {
  const paths = requireProject(dir);
  const config = await loadConfig(paths.config);
  return { paths, config, ns: config.namespace };
};

/** True when `.lily/deployment.json` names an engine that is alive (and is ours). */
export const deploymentEngineAlive = async (paths: ProjectPaths): Promise<boolean> => {
  const state = await readDeploymentState(paths.root);
  if (!state || 'invalid' in state) return false;
  return state.processes.some((p) => p.role === 'engine' && daemonAlive(p));
};

/**
 * The NATS of a running engine, if any: `--nats`, `LILY_NATS_URL` or the config's `nats.url`
 * (the operator says an engine listens there), else the managed server of a deployment whose
 * engine is alive. Undefined when there is none (callers start an ephemeral engine or fail
 * with `bus_unavailable`).
 */
export const findLiveTarget = async (
  ctx: Pick<CliContext, 'nats'>,
  settings: ProjectSettings,
): Promise<LiveTarget | undefined> => {
  const target = await resolveNatsTarget(settings.paths, settings.config, ctx.nats);
  if (target && target.source !== 'managed') return { ...target, via: 'explicit' };
  if (!(await deploymentEngineAlive(settings.paths))) return undefined;
  if ((await managedNatsStatus(settings.paths.root)).status !== 'running') return undefined;
  return target ? { ...target, via: 'deployment' } : undefined;
};

/** Connects to a live target (`bus_unavailable` when it does not answer). */
export const connectLive = (target: LiveTarget): Promise<Bus> =>
  connectTarget(target, 'lily-cli', silentLogger());

/** `bus_unavailable` for commands that need a running engine. */
export const noDeployment = (what: string): LilyError =>
  new LilyError(
    'bus_unavailable',
    `${what} needs a running engine: start one with \`lily up\`, or pass --nats <url> / set LILY_NATS_URL`,
    { hint: 'lily up' },
  );

/** Connects to the running engine's NATS, or throws `bus_unavailable` (see `noDeployment`). */
export const requireLiveBus = async (
  ctx: Pick<CliContext, 'nats'>,
  settings: ProjectSettings,
  what: string,
): Promise<Bus> => {
  const target = await findLiveTarget(ctx, settings);
  if (!target) throw noDeployment(what);
  return connectLive(target);
};
