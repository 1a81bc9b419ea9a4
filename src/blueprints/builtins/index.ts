import type { Catalog } from '../catalog.js';
import { createCatalog } from '../catalog.js';
import { commandBlueprint } from './command.js';
import { councilBlueprint } from './council.js';
import { BUILTIN_EXECUTORS, BUILTIN_PARTITIONERS, commandResultSchema } from './executors.js';
import { pipelineBlueprint } from './pipeline.js';

/**
 * The blueprints every catalog starts with: `command.v1`, `pipeline.v1`, `council.v1`.
 *
 * @example
 * BUILTIN_BLUEPRINTS.map((b) => `${b.id}@${b.version}`); // ['command.v1@1.0.0', ...]
 */
export const BUILTIN_BLUEPRINTS = [commandBlueprint, pipelineBlueprint, councilBlueprint];

/**
 * A new catalog holding the built-ins: `command.v1`, `pipeline.v1`, `council.v1`, the
 * `command` and `echo` executors, the `list` partitioner and the `lily.command-result@1`
 * schema. Each call returns a fresh catalog, so registering into it never leaks between tests.
 * A project's catalog is this plus every pack of `.lily/config.yaml` (`installPack`). Never throws.
 *
 * @example
 * const catalog = createBuiltinCatalog();
 * catalog.blueprints.register(releaseCheck);
 * compileBlueprint(catalog, releaseCheck, { package_manager: 'pnpm' });
 */
export const createBuiltinCatalog = (): Catalog => {
  const catalog = createCatalog();
  for (const bp of BUILTIN_BLUEPRINTS) catalog.blueprints.register(bp);
  for (const e of BUILTIN_EXECUTORS) catalog.executors.set(e.name, e);
  for (const p of BUILTIN_PARTITIONERS) catalog.partitioners.set(p.name, p);
  catalog.schemas.register('lily.command-result@1', commandResultSchema);
  return catalog;
};

export { commandBlueprint, councilBlueprint, pipelineBlueprint };
