import { createBuiltinCatalog } from '../blueprints/builtins/index.js';
import type { Catalog } from '../blueprints/catalog.js';
import { JobRepository } from '../blueprints/jobs/repository.js';
import { policyCapsCheck } from './caps-check.js';
import { type LilyConfig, loadConfig } from './config.js';
import { cronCheck } from './cron-check.js';
import { fsJobSource } from './fs-job-source.js';
import { loadPacks } from './packs.js';
import { isProject, type ProjectPaths, projectPaths, requireProject } from './paths.js';
import { loadPolicy, type Policy } from './policy.js';

/** An opened project: its settings, its catalog (built-ins + packs) and its jobs. */
export interface Project {
  paths: ProjectPaths;
  config: LilyConfig;
  policy: Policy;
  catalog: Catalog;
  jobs: JobRepository;
}

/**
 * Opens the project in `dir`: reads config and policy, loads packs into a fresh built-in
 * catalog, and builds the job repository (with the cron and policy-cap checks).
 *
 * Throws `project_not_initialized`, `config_invalid`, `policy_invalid` or `pack_invalid`.
 */
export const openProject = async (dir: string): Promise<Project> => {
  const paths = requireProject(dir);
  const config = await loadConfig(paths.config);
  const policy = await loadPolicy(paths.policy);
  const catalog = await loadCatalog(paths, config);
  const jobs = new JobRepository(fsJobSource(paths.jobs), { checks: [cronCheck, policyCapsCheck(policy)] });
  return { paths, config, policy, catalog, jobs };
};

/** The built-in catalog plus the project's packs. */
export const loadCatalog = async (paths: ProjectPaths, config: LilyConfig): Promise<Catalog> => {
  const catalog = createBuiltinCatalog();
  await loadPacks(catalog, config, paths.dir);
  return catalog;
};

/**
 * The catalog for commands that work without a project (`lily blueprints list`): the project's
 * when `dir` holds `.lily/`, else the built-ins alone.
 */
export const catalogFor = async (dir: string): Promise<Catalog> => {
  if (!isProject(dir)) return createBuiltinCatalog();
  const paths = projectPaths(dir);
  return loadCatalog(paths, await loadConfig(paths.config));
};
