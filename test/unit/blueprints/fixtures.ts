import { z } from 'zod';
import {
  type Catalog,
  createBuiltinCatalog,
  defineBlueprint,
  type PlanBody,
} from '../../../src/blueprints/index.js';

/** A blueprint whose plan is whatever the bindings say: for exercising plan validation. */
export const rawPlanBlueprint = defineBlueprint({
  id: 'test.raw',
  version: '1.0.0',
  summary: 'Returns the plan given in its bindings.',
  bindings: z.object({ plan: z.unknown() }),
  input: z.object({}),
  output: z.object({}),
  compile: (b) => b.plan as PlanBody,
});

export const catalogWithRaw = (): Catalog => {
  const catalog = createBuiltinCatalog();
  catalog.blueprints.register(rawPlanBlueprint);
  return catalog;
};

export const echo = (id: string, extra: Record<string, unknown> = {}) => ({ id, executor: 'echo', ...extra });
