import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BlueprintRegistry,
  compileBlueprint,
  createBuiltinCatalog,
  defineBlueprint,
  definePack,
  installPack,
  type JobKind,
} from '../../../src/blueprints/index.js';
import { hasErrorCode, LilyError } from '../../../src/contracts/index.js';
import { rawPlanBlueprint } from './fixtures.js';

const thrown = (f: () => unknown): LilyError => {
  try {
    f();
  } catch (e) {
    if (e instanceof LilyError) return e;
    throw e;
  }
  throw new Error('expected a LilyError');
};

describe('BlueprintRegistry', () => {
  it('refuses the same id@version twice and serves the newest version by default', () => {
    const registry = new BlueprintRegistry();
    registry.register(rawPlanBlueprint);
    expect(thrown(() => registry.register(rawPlanBlueprint)).code).toBe('blueprint_contract_invalid');
    registry.register({ ...rawPlanBlueprint, version: '1.10.0' });
    registry.register({ ...rawPlanBlueprint, version: '1.9.0' });
    expect(registry.get('test.raw').version).toBe('1.10.0');
    expect(registry.get('test.raw', '1.0.0').version).toBe('1.0.0');
  });

  it('names the known blueprints when one is missing', () => {
    const err = thrown(() => createBuiltinCatalog().blueprints.get('nope.v1'));
    expect(err.code).toBe('blueprint_not_found');
    expect(err.data.known).toEqual(['command.v1@1.0.0', 'council.v1@1.0.0', 'pipeline.v1@1.0.0']);
  });
});

describe('defineBlueprint', () => {
  it('lists every contract problem', () => {
    const err = thrown(() => defineBlueprint({ id: 'Bad Id', version: '1', summary: '' } as never));
    expect(err.code).toBe('blueprint_contract_invalid');
    expect(err.data.problems).toHaveLength(7);
  });
});

const packKind: JobKind = {
  id: 'deploy.pack',
  version: 1,
  description: 'Pack backend files',
  partitioners: ['by_filesize', 'by_module'],
  executors: ['pack_backend'],
  safety: { allowNonIdempotent: false, requireDryRun: false },
  defaultSloMs: 120_000,
};
const migrateKind: JobKind = {
  ...packKind,
  id: 'deploy.migrate',
  partitioners: ['by_sql_batch'],
  executors: ['sql_migrate'],
  safety: { allowNonIdempotent: true, requireDryRun: true },
  nonIdempotentCapability: 'hxo:force-merge',
  defaultSloMs: 30_000,
};
const testPack = definePack({
  name: 'test-pack',
  version: '0.1.0',
  executors: [
    { name: 'pack_backend', summary: 'pack', sideEffects: 'write' },
    { name: 'sql_migrate', summary: 'migrate', sideEffects: 'external' },
  ],
  partitioners: [
    { name: 'by_filesize', summary: 'size' },
    { name: 'by_sql_batch', summary: 'sql' },
  ],
  jobKinds: [packKind, migrateKind],
  schemas: { 'test.result@1': z.object({ status: z.string() }) },
  gateTemplates: [{ name: 'lint', executor: 'command', with: { argv: ['npm', 'run', 'lint'] } }],
});

const stage = (kind: string, partitioner: string, executor: string, extra: Record<string, unknown> = {}) => ({
  kind,
  steps: [{ id: 'pack_backend', executor, partition: { partitioner }, ...extra }],
});

describe('job kinds and stage validation (HXO contract)', () => {
  const catalog = createBuiltinCatalog();
  catalog.blueprints.register(rawPlanBlueprint);
  installPack(catalog, testPack, 'test');
  const compile = (plan: unknown) => compileBlueprint(catalog, rawPlanBlueprint, { plan });

  it('accepts the valid stage and turns the default SLO into the step timeout', () => {
    expect(compile(stage('deploy.pack', 'by_filesize', 'pack_backend')).plan.steps[0]?.timeoutMs).toBe(
      120_000,
    );
  });

  it("refuses the seed's invalid example: deploy.pack with by_sql_batch", () => {
    const err = thrown(() => compile(stage('deploy.pack', 'by_sql_batch', 'pack_backend')));
    expect(err.code).toBe('stage_partitioner_not_allowed');
    expect(err.data).toMatchObject({
      kind: 'deploy.pack@1',
      partitioner: 'by_sql_batch',
      allowed: ['by_filesize', 'by_module'],
    });
  });

  it('refuses an executor the kind does not allow and an unknown kind', () => {
    expect(thrown(() => compile(stage('deploy.pack', 'by_filesize', 'sql_migrate'))).code).toBe(
      'stage_executor_not_allowed',
    );
    expect(thrown(() => compile(stage('deploy.nope', 'by_filesize', 'pack_backend'))).code).toBe(
      'job_kind_unknown',
    );
  });

  it('allows a non-idempotent stage only where the kind does, with its capability declared', () => {
    expect(
      thrown(() => compile(stage('deploy.pack', 'by_filesize', 'pack_backend', { idempotent: false }))).data
        .reason,
    ).toBe('kind_forbids_non_idempotent');
    const missing = thrown(() =>
      compile(stage('deploy.migrate', 'by_sql_batch', 'sql_migrate', { idempotent: false })),
    );
    expect(missing.code).toBe('stage_non_idempotent_denied');
    expect(missing.data).toMatchObject({ reason: 'capability_not_declared', capability: 'hxo:force-merge' });
    const ok = stage('deploy.migrate', 'by_sql_batch', 'sql_migrate', {
      idempotent: false,
      capabilities: ['hxo:force-merge'],
    });
    expect(compile(ok).plan.steps[0]?.idempotent).toBe(false);
  });

  it('expands gate templates from packs', () => {
    const { plan } = compile({
      steps: [{ id: 'a', executor: 'echo', gates: [{ id: 'lint', template: 'lint', with: { cwd: 'src' } }] }],
    });
    expect(plan.steps[0]?.gates[0]).toMatchObject({
      executor: 'command',
      with: { argv: ['npm', 'run', 'lint'], cwd: 'src' },
    });
  });
});

describe('installPack', () => {
  it('refuses a module that is not a pack, and registers nothing from an invalid one', () => {
    expect(thrown(() => installPack(createBuiltinCatalog(), { nope: true }, 'x')).code).toBe('pack_invalid');
    const catalog = createBuiltinCatalog();
    const bad = { ...testPack, executors: [{ name: 'command', summary: 'dup', sideEffects: 'none' }] };
    const err = thrown(() => installPack(catalog, { default: bad }, './bad-pack.js'));
    expect(err.data).toMatchObject({ source: './bad-pack.js' });
    expect(catalog.jobKinds.size).toBe(0);
    expect(catalog.partitioners.has('by_filesize')).toBe(false);
  });

  it('refuses a pack blueprint that breaks the contract', () => {
    const err = thrown(() =>
      installPack(createBuiltinCatalog(), { ...testPack, blueprints: [{ id: 'x' }] }, 'p'),
    );
    expect(hasErrorCode(err, 'pack_invalid')).toBe(true);
    expect(JSON.stringify(err.data.issues)).toContain('version must be semver');
  });
});
