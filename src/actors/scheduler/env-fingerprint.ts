import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../../contracts/canonical-json.js';

/**
 * The environment a run starts in, pinned in `run.started.env` (seed layer 5): Node version,
 * platform and architecture, Lily version, and the sha256 of the project's
 * `package-lock.json` (`none` when the project has none). Unreadable lockfiles count as none.
 *
 * @example
 * const env = await envFingerprint({ projectDir: paths.dir, lilyVersion: '0.1.0' });
 * // { node: 'v20.11.0', platform: 'linux', arch: 'x64', lily: '0.1.0', lockfile: 'sha256:…' }
 */
export const envFingerprint = async (opts: {
  projectDir?: string;
  lilyVersion: string;
}): Promise<Record<string, string>> => {
  let lockfile = 'none';
  if (opts.projectDir !== undefined) {
    try {
      lockfile = `sha256:${sha256Hex(await readFile(join(opts.projectDir, 'package-lock.json')))}`;
    } catch {
      lockfile = 'none';
    }
  }
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    lily: opts.lilyVersion,
    lockfile,
  };
};
