import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LilyError } from '../contracts/errors.js';
import type { ProjectPaths } from './paths.js';

/**
 * Who a project is on a shared NATS: a random id made once per checkout, kept in
 * `.lily/keys/project.json` (0600, git-ignored with the other keys, so two clones of one
 * repository are two projects). Namespace claims name it (see deployment/namespace-claim.ts).
 */
export interface ProjectIdentity {
  /** 16 random bytes as 32 lowercase hex characters. */
  id: string;
  /** Epoch ms at creation. */
  createdAt: number;
}

const ID = /^[0-9a-f]{32}$/;

/** `.lily/keys/project.json`. */
export const projectIdentityPath = (paths: Pick<ProjectPaths, 'keys'>): string =>
  join(paths.keys, 'project.json');

const parse = (file: string, text: string): ProjectIdentity => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LilyError('config_invalid', `${file} is not JSON: delete it to make a new project id`, {
      file,
    });
  }
  const v = value as Partial<ProjectIdentity> | null;
  if (typeof v?.id !== 'string' || !ID.test(v.id) || typeof v.createdAt !== 'number') {
    throw new LilyError('config_invalid', `${file} has no valid project id: delete it to make a new one`, {
      file,
    });
  }
  return { id: v.id, createdAt: v.createdAt };
};

/**
 * Reads the project's identity, creating it (mode 0600 in a 0700 directory) the first time.
 * Two processes creating it at once agree: the second reads the first one's file.
 *
 * Throws `config_invalid` `{file}` when the file exists but does not hold an identity.
 */
export const loadOrCreateProjectIdentity = async (
  paths: Pick<ProjectPaths, 'keys'>,
  now: () => number = Date.now,
): Promise<ProjectIdentity> => {
  const file = projectIdentityPath(paths);
  try {
    return parse(file, await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
  }
  await mkdir(paths.keys, { recursive: true, mode: 0o700 });
  const identity: ProjectIdentity = { id: randomBytes(16).toString('hex'), createdAt: now() };
  try {
    await writeFile(file, `${JSON.stringify(identity)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as { code?: string }).code === 'EEXIST') return parse(file, await readFile(file, 'utf8'));
    throw e;
  }
  await chmod(file, 0o600);
  return identity;
};
