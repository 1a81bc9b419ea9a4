import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { LilyError } from '../../contracts/errors.js';

/** How to get nats-server, for error messages and `lily doctor`. */
export const NATS_INSTALL_HINT =
  'install nats-server (`apt-get install nats-server`, or a release from ' +
  'https://github.com/nats-io/nats-server/releases) and put it on PATH, or set LILY_NATS_SERVER=/path/to/nats-server';

export interface NatsBinary {
  /** Absolute path of the executable. */
  path: string;
  /** `LILY_NATS_SERVER` or `PATH`. */
  source: 'LILY_NATS_SERVER' | 'PATH';
}

const isExecutableFile = (file: string): boolean => {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Finds nats-server: `LILY_NATS_SERVER` (a path, or a name looked up on PATH) when set, else
 * `nats-server` on PATH.
 *
 * Throws `nats_server_missing` `{env, path?, searched}` whose message says how to install it.
 */
export const findNatsServer = (env: NodeJS.ProcessEnv = process.env): NatsBinary => {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  const explicit = env.LILY_NATS_SERVER;
  const onPath = (name: string) => dirs.map((d) => join(d, name)).find(isExecutableFile);
  if (explicit !== undefined && explicit !== '') {
    const hasSlash = explicit.includes('/');
    const found = hasSlash ? (isExecutableFile(explicit) ? explicit : undefined) : onPath(explicit);
    if (found) return { path: isAbsolute(found) ? found : resolve(found), source: 'LILY_NATS_SERVER' };
    throw new LilyError(
      'nats_server_missing',
      `LILY_NATS_SERVER=${explicit} is not an executable file: ${NATS_INSTALL_HINT}`,
      { env: 'LILY_NATS_SERVER', path: explicit, searched: hasSlash ? [explicit] : dirs },
    );
  }
  const found = onPath('nats-server');
  if (found) return { path: resolve(found), source: 'PATH' };
  throw new LilyError('nats_server_missing', `nats-server was not found on PATH: ${NATS_INSTALL_HINT}`, {
    env: 'LILY_NATS_SERVER',
    searched: dirs,
  });
};

/**
 * The server's version (`v2.10.22`) from `nats-server --version`.
 * Throws `nats_server_missing` when the binary does not run.
 */
export const natsServerVersion = async (binary: string): Promise<string> => {
  try {
    const { stdout, stderr } = await promisify(execFile)(binary, ['--version'], { timeout: 10_000 });
    const text = `${stdout}${stderr}`.trim();
    return /v?\d+\.\d+\.\d+\S*/.exec(text)?.[0] ?? text;
  } catch (e) {
    throw new LilyError(
      'nats_server_missing',
      `${binary} --version failed: ${e instanceof Error ? e.message : String(e)}: ${NATS_INSTALL_HINT}`,
      { path: binary },
      { cause: e },
    );
  }
};
