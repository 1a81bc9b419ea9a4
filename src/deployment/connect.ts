import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus } from '../actors/bus/bus.js';
import { connectNatsBus } from '../actors/bus/nats-bus.js';
import type { Logger } from '../actors/logger.js';
import { LilyError } from '../contracts/errors.js';
import type { LilyConfig } from '../project/config.js';
import type { ProjectPaths } from '../project/paths.js';

export interface NatsTarget {
  url: string;
  token?: string;
  /** Where the target came from, for messages. */
  source: 'flag' | 'env' | 'config' | 'managed';
}

/**
 * Which NATS to talk to: `--nats <url>` (then `LILY_NATS_URL`), the config's `nats.url`, else
 * the managed server recorded in `.lily/nats/state.json` (with its token from
 * `.lily/nats/token`). `LILY_NATS_TOKEN` supplies a token for the first three.
 */
export const resolveNatsTarget = async (
  paths: ProjectPaths,
  config: LilyConfig,
  flag?: string,
): Promise<NatsTarget | undefined> => {
  const token = process.env.LILY_NATS_TOKEN;
  const withToken = (t: Omit<NatsTarget, 'token'>): NatsTarget => (token ? { ...t, token } : t);
  if (flag) return withToken({ url: flag, source: 'flag' });
  if (process.env.LILY_NATS_URL) return withToken({ url: process.env.LILY_NATS_URL, source: 'env' });
  if (!config.nats.managed) return withToken({ url: config.nats.url, source: 'config' });
  try {
    const state = JSON.parse(await readFile(join(paths.nats, 'state.json'), 'utf8')) as { url?: unknown };
    if (typeof state.url !== 'string') return undefined;
    const managedToken = (await readFile(join(paths.nats, 'token'), 'utf8').catch(() => '')).trim();
    return { url: state.url, ...(managedToken ? { token: managedToken } : {}), source: 'managed' };
  } catch {
    return undefined;
  }
};

/** Connects the bus to a target, or throws `bus_unavailable` saying how to get one. */
export const connectTarget = async (
  target: NatsTarget | undefined,
  name: string,
  log: Logger,
): Promise<Bus> => {
  if (!target) {
    throw new LilyError(
      'bus_unavailable',
      'no NATS to connect to: run `lily up`, or pass --nats <url> / set LILY_NATS_URL',
      {},
    );
  }
  return connectNatsBus({
    servers: target.url,
    ...(target.token ? { token: target.token } : {}),
    name,
    logger: log,
  });
};
