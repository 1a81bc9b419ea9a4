import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveJob } from '../../blueprints/jobs/resolve.js';
import { toLilyError } from '../../contracts/errors.js';
import { checkStoreIsolated } from '../../deployment/store-check.js';
import { loadConfig } from '../../project/config.js';
import type { ProjectLocation } from '../../project/find.js';
import { openProject } from '../../project/open.js';
import type { ProjectPaths } from '../../project/paths.js';
import { loadPolicy } from '../../project/policy.js';
import { findLooseEntries } from '../../project/private-state.js';
import { projectMissing } from '../errors.js';
import { formatBytes } from '../format.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One check of `doctor`: what was checked, how it went, and what to do about it. */
export interface Check {
  id: string;
  status: CheckStatus;
  detail: string;
  /** What to do (empty when nothing). */
  fix: string;
}

export const check = (id: string, status: CheckStatus, detail: string, fix = ''): Check => ({
  id,
  status,
  detail,
  fix,
});

const message = (e: unknown): string => {
  const error = toLilyError(e);
  return `${error.code}: ${error.message}`;
};

export const nodeCheck = (): Check => {
  const major = Number(process.versions.node.split('.')[0]);
  return major >= 20
    ? check('node', 'ok', `node ${process.version}`)
    : check('node', 'fail', `node ${process.version} is too old`, 'install Node.js 20 or newer');
};

export const projectCheck = (at: ProjectLocation): Check => {
  if (at.found) return check('project', 'ok', join(at.dir, '.lily'));
  const missing = projectMissing(at);
  return check('project', 'fail', missing.message, String(missing.data.hint));
};

export const configChecks = async (paths: ProjectPaths): Promise<Check[]> => {
  const out: Check[] = [];
  let config: Awaited<ReturnType<typeof loadConfig>> | undefined;
  try {
    config = await loadConfig(paths.config);
    out.push(check('config', 'ok', `${paths.config} (namespace ${config.namespace})`));
  } catch (e) {
    out.push(check('config', 'fail', message(e), `fix ${paths.config} (lily jobs list shows the lines)`));
  }
  try {
    await loadPolicy(paths.policy);
    out.push(check('policy', 'ok', paths.policy));
  } catch (e) {
    out.push(check('policy', 'fail', message(e), `fix ${paths.policy}`));
  }
  if (!config) {
    out.push(check('jobs', 'skip', 'config.yaml is invalid', 'fix config.yaml first'));
    return out;
  }
  out.push(await jobsCheck(paths));
  return out;
};

const jobsCheck = async (paths: ProjectPaths): Promise<Check> => {
  try {
    const project = await openProject(paths.dir);
    const results = await project.jobs.loadAll();
    const bad: string[] = [];
    for (const r of results) {
      if (!r.ok) bad.push(`${r.id} (${r.error.code})`);
      else {
        try {
          resolveJob(project.catalog, r.job.spec);
        } catch (e) {
          bad.push(`${r.id} (${toLilyError(e).code})`);
        }
      }
    }
    return bad.length === 0
      ? check('jobs', 'ok', `${results.length} job(s) valid`)
      : check('jobs', 'fail', `invalid: ${bad.join(', ')}`, 'run `lily jobs validate` for the details');
  } catch (e) {
    return check('jobs', 'fail', message(e), 'fix the error above, then `lily jobs validate`');
  }
};

/** The log: opened (never created: a project that has not run anything yet has no database). */
export const lmdbCheck = async (paths: ProjectPaths): Promise<Check> => {
  if (!existsSync(join(paths.db, 'data.mdb')))
    return check('lmdb', 'ok', `${paths.db}: not created yet (the first run creates it)`);
  try {
    const { events, streams } = await checkStoreIsolated(paths.root);
    const size = (await stat(join(paths.db, 'data.mdb')).catch(() => undefined))?.size ?? 0;
    return check(
      'lmdb',
      'ok',
      `${paths.db}: ${events} events in ${streams} streams, ${formatBytes(size)}, verified`,
    );
  } catch (e) {
    const corrupt = toLilyError(e).code === 'eventstore_corrupt';
    return check(
      'lmdb',
      'fail',
      message(e),
      corrupt
        ? `stop every Lily process, move ${paths.db} aside and restore it from a backup`
        : `check permissions and free space of ${paths.db}; stop other Lily processes if it is locked`,
    );
  }
};

/** The engine's trust keys (dispatch seals, reply proofs): present and 0600 (docs/decisions/030). */
export const engineKeysCheck = async (paths: ProjectPaths): Promise<Check> => {
  const files = ['dispatch-seal.key', 'reply.key'].map((f) => join(paths.keys, f));
  const infos = await Promise.all(files.map((f) => stat(f).catch(() => undefined)));
  if (infos.some((i) => i === undefined)) {
    return check(
      'engine keys',
      'warn',
      `${paths.keys} has no engine keys yet`,
      'the engine creates them on first start',
    );
  }
  const loose = files.filter((_, i) => ((infos[i]?.mode ?? 0) & 0o777) !== 0o600);
  return loose.length === 0
    ? check('engine keys', 'ok', `${files.join(', ')} (mode 0600)`)
    : check('engine keys', 'fail', `${loose.join(', ')} not mode 0600`, `chmod 600 ${loose.join(' ')}`);
};

/** `.lily/` and everything Lily writes in it reachable by its owner only (0700 / 0600). */
export const privateStateCheck = async (paths: ProjectPaths): Promise<Check> => {
  const found = await findLooseEntries(paths.root);
  if (found.length === 0) return check('private state', 'ok', `${paths.root} is private (0700, files 0600)`);
  const shown = found
    .slice(0, 5)
    .map((e) => `${e.path} (0${e.mode.toString(8)})`)
    .join(', ');
  const more = found.length > 5 ? ` and ${found.length - 5} more` : '';
  return check(
    'private state',
    'fail',
    `readable by other users: ${shown}${more}`,
    `chmod -R go-rwx ${paths.root} (the engine also makes it private when it starts)`,
  );
};
