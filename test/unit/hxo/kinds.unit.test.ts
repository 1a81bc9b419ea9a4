import hxoPack, {
  deployMigrateBlueprint,
  deployPackBlueprint,
  docsIndexBlueprintV1,
  docsIndexBlueprintV2,
  HXO_BLUEPRINTS,
} from '@lily/hxo';
import { describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { compileBlueprint } from '../../../src/blueprints/compile.js';
import { resolveJobKind, validateStages } from '../../../src/blueprints/job-kinds.js';
import { installPack } from '../../../src/blueprints/packs.js';
import type { Plan } from '../../../src/blueprints/plan.js';
import { isLilyError } from '../../../src/contracts/errors.js';

const catalog = () => {
  const c = createBuiltinCatalog();
  installPack(c, { default: hxoPack }, '@lily/hxo');
  return c;
};

const codeOf = (fn: () => unknown): { code: string; data: Record<string, unknown> } => {
  try {
    fn();
  } catch (e) {
    if (isLilyError(e)) return { code: e.code, data: e.data as Record<string, unknown> };
    throw e;
  }
  throw new Error('expected a LilyError');
};

describe('HXO job kinds (seed appendix table)', () => {
  const table = [
    ['deploy.pack', ['by_filesize', 'by_module'], ['pack_backend'], false, false, 120_000],
    ['deploy.migrate', ['by_sql_batch'], ['sql_migrate'], true, true, 30_000],
    ['deploy.prime', ['by_module', 'by_dag_depth'], ['warm_registry', 'prime_caches'], false, false, 45_000],
    ['assets.index', ['by_asset_bucket', 'by_filesize'], ['index_assets'], false, false, 60_000],
    ['assets.stage', ['by_asset_bucket', 'by_filesize'], ['index_assets'], false, false, 60_000],
    ['docs.index', ['by_route_map'], ['docs_index'], false, false, 30_000],
  ] as const;
  it.each(table)(
    '%s allows exactly its partitioners, executors and safety policy',
    (id, parts, execs, nonIdem, dry, slo) => {
      const kind = resolveJobKind(catalog().jobKinds, `${id}@1`);
      expect(kind.partitioners).toEqual(parts);
      expect(kind.executors).toEqual(execs);
      expect(kind.safety).toEqual({ allowNonIdempotent: nonIdem, requireDryRun: dry });
      expect(kind.defaultSloMs).toBe(slo);
    },
  );

  it('deploy.migrate needs hxo:force-merge for its non-idempotent stages', () => {
    expect(resolveJobKind(catalog().jobKinds, 'deploy.migrate').nonIdempotentCapability).toBe(
      'hxo:force-merge',
    );
  });

  it('docs.index has two versions: the newest is the default, v1 is deprecated in favour of v2', () => {
    const kinds = catalog().jobKinds;
    expect(resolveJobKind(kinds, 'docs.index').version).toBe(2);
    expect(resolveJobKind(kinds, 'docs.index@1').deprecated?.replacedBy).toBe('docs.index@2');
    expect(resolveJobKind(kinds, 'docs.index@2').deprecated).toBeUndefined();
  });
});

describe('HXO blueprints compile under stage validation', () => {
  it.each(HXO_BLUEPRINTS.map((b) => [b.id, b] as const))(
    '%s compiles with its default bindings',
    (_id, bp) => {
      const { plan } = compileBlueprint(catalog(), bp, {});
      expect(plan.kind).toMatch(/@\d$/);
      const [step] = plan.steps;
      expect(step?.partition).toBeDefined();
      expect(step?.timeoutMs).toBe(resolveJobKind(catalog().jobKinds, plan.kind as string).defaultSloMs);
    },
  );

  it('the same bindings give the same plan hash', () => {
    const bindings = { roots: ['src'], chunk_size_mb: 2, concurrency: 3 };
    expect(compileBlueprint(catalog(), deployPackBlueprint, bindings).planHash).toBe(
      compileBlueprint(catalog(), deployPackBlueprint, bindings).planHash,
    );
  });

  it("refuses the seed's invalid example (deploy.pack with by_sql_batch) with stage_partitioner_not_allowed", () => {
    const e = codeOf(() => compileBlueprint(catalog(), deployPackBlueprint, { partitioner: 'by_sql_batch' }));
    expect(e.code).toBe('stage_partitioner_not_allowed');
    expect(e.data).toMatchObject({
      kind: 'deploy.pack@1',
      partitioner: 'by_sql_batch',
      allowed: ['by_filesize', 'by_module'],
    });
  });

  it("accepts the seed's valid example (deploy.pack with by_filesize and pack_backend)", () => {
    const { plan } = compileBlueprint(catalog(), deployPackBlueprint, { partitioner: 'by_filesize' });
    expect(plan.steps[0]).toMatchObject({
      executor: 'pack_backend',
      partition: { partitioner: 'by_filesize' },
    });
  });

  it('deploy.migrate compiles to a non-idempotent stage declaring hxo:force-merge, one batch at a time', () => {
    const { plan } = compileBlueprint(catalog(), deployMigrateBlueprint, { concurrency: 8 });
    expect(plan.steps[0]).toMatchObject({
      idempotent: false,
      capabilities: ['hxo:force-merge'],
      partition: { partitioner: 'by_sql_batch', concurrency: 1, mode: 'fail_fast' },
    });
  });

  it('refuses a non-idempotent deploy.migrate stage without the capability, and one in a kind that forbids it', () => {
    const c = catalog();
    const { plan } = compileBlueprint(c, deployMigrateBlueprint, {});
    const stripped: Plan = { ...plan, steps: plan.steps.map((s) => ({ ...s, capabilities: [] })) };
    const missing = codeOf(() => validateStages(stripped, resolveJobKind(c.jobKinds, 'deploy.migrate')));
    expect(missing).toMatchObject({
      code: 'stage_non_idempotent_denied',
      data: { reason: 'capability_not_declared', capability: 'hxo:force-merge' },
    });
    const packPlan = compileBlueprint(c, deployPackBlueprint, {}).plan;
    const nonIdempotent: Plan = {
      ...packPlan,
      steps: packPlan.steps.map((s) => ({ ...s, idempotent: false })),
    };
    const forbidden = codeOf(() => validateStages(nonIdempotent, resolveJobKind(c.jobKinds, 'deploy.pack')));
    expect(forbidden).toMatchObject({
      code: 'stage_non_idempotent_denied',
      data: { reason: 'kind_forbids_non_idempotent' },
    });
  });

  it('refuses an executor the kind does not allow', () => {
    const c = catalog();
    const { plan } = compileBlueprint(c, deployPackBlueprint, {});
    const other: Plan = { ...plan, steps: plan.steps.map((s) => ({ ...s, executor: 'docs_index' })) };
    expect(codeOf(() => validateStages(other, resolveJobKind(c.jobKinds, 'deploy.pack'))).code).toBe(
      'stage_executor_not_allowed',
    );
  });

  it('docs.index v1 and v2 blueprints pin their kind versions and output schemas', () => {
    const v1 = compileBlueprint(catalog(), docsIndexBlueprintV1, {}).plan;
    const v2 = compileBlueprint(catalog(), docsIndexBlueprintV2, {}).plan;
    expect([v1.kind, v1.steps[0]?.outputSchema]).toEqual(['docs.index@1', 'hxo.docs-result@1']);
    expect([v2.kind, v2.steps[0]?.outputSchema]).toEqual(['docs.index@2', 'hxo.docs-result@2']);
  });

  it('installing the pack twice is refused (pack_invalid), nothing registered twice', () => {
    const c = catalog();
    expect(codeOf(() => installPack(c, { default: hxoPack }, 'again')).code).toBe('pack_invalid');
  });
});
