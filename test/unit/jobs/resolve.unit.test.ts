import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import type { Catalog } from '../../../src/blueprints/catalog.js';
import { compileBlueprint } from '../../../src/blueprints/compile.js';
import { defineBlueprint } from '../../../src/blueprints/define.js';
import { parseJobSpec } from '../../../src/blueprints/jobs/parse.js';
import { applyRuntimeCaps, resolveJob } from '../../../src/blueprints/jobs/resolve.js';
import { hashJson } from '../../../src/contracts/canonical-json.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';

const FILE = '/p/.lily/jobs/demo.job.yaml';
const parse = (body: string) => parseJobSpec(`id: demo\ntitle: Demo\n${body}`, { file: FILE });

const PIPELINE = `target: { kind: blueprint, id: pipeline.v1 }
bindings:
  steps:
    - id: a
      run: [echo, a]
      retries: 4
    - id: b
      run: [echo, b]
`;

/** Calls fn, expects a LilyError with `code`, returns its data. */
const errorData = (fn: () => unknown, code: Parameters<typeof hasErrorCode>[1]) => {
  try {
    fn();
  } catch (e) {
    if (!hasErrorCode(e, code)) throw e;
    return e.data;
  }
  throw new Error(`expected ${code}`);
};

const withBlueprint = (catalog: Catalog, bp: Parameters<typeof defineBlueprint>[0]): Catalog => {
  catalog.blueprints.register(defineBlueprint(bp));
  return catalog;
};

describe('resolveJob', () => {
  it('compiles the target blueprint with the bindings', () => {
    const catalog = createBuiltinCatalog();
    const { spec } = parse(PIPELINE);
    const resolved = resolveJob(catalog, spec);
    expect(resolved.blueprint.id).toBe('pipeline.v1');
    expect(resolved.plan.steps.map((s) => s.id)).toEqual(['a', 'b']);
    expect(resolved.planHash).toBe(hashJson(resolved.plan));
    const direct = compileBlueprint(catalog, resolved.blueprint, spec.bindings);
    expect(resolved.blueprintPlanHash).toBe(direct.planHash);
    // No runtime caps: the plan, and so the hash, is the blueprint's own.
    expect(resolved.planHash).toBe(direct.planHash);
  });

  it('is deterministic: the same spec gives the same plan hash', () => {
    const { spec } = parse(PIPELINE);
    expect(resolveJob(createBuiltinCatalog(), spec).planHash).toBe(
      resolveJob(createBuiltinCatalog(), spec).planHash,
    );
  });

  it('applies runtime caps to the plan and its hash', () => {
    const catalog = createBuiltinCatalog();
    const { spec } = parse(`${PIPELINE}runtime: { timeout_ms: 5000, max_attempts: 2 }\n`);
    const resolved = resolveJob(catalog, spec);
    expect(resolved.plan.timeoutMs).toBe(5000);
    expect(resolved.plan.steps.map((s) => s.retry.maxAttempts)).toEqual([2, 1]);
    expect(resolved.planHash).not.toBe(resolved.blueprintPlanHash);
  });

  it('keeps the smaller run timeout', () => {
    const { spec } = parse(`${PIPELINE}  timeout_ms: 1000\nruntime: { timeout_ms: 5000 }\n`);
    expect(resolveJob(createBuiltinCatalog(), spec).plan.timeoutMs).toBe(1000);
    const plan = resolveJob(createBuiltinCatalog(), parse(PIPELINE).spec).plan;
    expect(applyRuntimeCaps(plan, { concurrency: 1, dry_run: false })).toBe(plan);
  });

  it('job_target_unresolved for an unknown blueprint id, naming the known ones', () => {
    const { spec } = parse('target: { kind: blueprint, id: nope.v1 }\n');
    const data = errorData(() => resolveJob(createBuiltinCatalog(), spec), 'job_target_unresolved');
    expect(data.job).toBe('demo');
    expect(data.target).toEqual({ id: 'nope.v1' });
    expect(data.known).toEqual(
      expect.arrayContaining(['command.v1@1.0.0', 'pipeline.v1@1.0.0', 'council.v1@1.0.0']),
    );
  });

  it('job_target_unresolved for an unknown version', () => {
    const { spec } = parse(
      'target: { kind: blueprint, id: command.v1, version: 9.9.9 }\nbindings: { run: [x] }\n',
    );
    const data = errorData(() => resolveJob(createBuiltinCatalog(), spec), 'job_target_unresolved');
    expect(data.target).toEqual({ id: 'command.v1', version: '9.9.9' });
  });

  it('job_bindings_invalid with zod issues located in the YAML file', () => {
    const job = parse(
      'target: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps:\n    - id: a\n      run: echo\n      colour: red\n',
    );
    const data = errorData(
      () => resolveJob(createBuiltinCatalog(), job.spec, { locate: job.locate, file: job.file }),
      'job_bindings_invalid',
    );
    expect(data).toMatchObject({ job: 'demo', file: FILE, blueprint: 'pipeline.v1@1.0.0' });
    expect(data.issues).toEqual([
      expect.objectContaining({ path: 'bindings.steps.0.run', code: 'invalid_type', line: 7, column: 12 }),
      expect.objectContaining({
        path: 'bindings.steps.0.colour',
        code: 'unrecognized_keys',
        line: 8,
        column: 7,
      }),
    ]);
  });

  it('passes blueprint_compile_failed through', () => {
    const catalog = withBlueprint(createBuiltinCatalog(), {
      id: 'broken.v1',
      version: '1.0.0',
      summary: 'returns a step with an unknown executor',
      bindings: z.object({}),
      input: z.object({}),
      output: z.object({}),
      compile: () => ({ steps: [{ id: 'x', executor: 'teleport' }] }),
    });
    const { spec } = parse('target: { kind: blueprint, id: broken.v1 }\n');
    const data = errorData(() => resolveJob(catalog, spec), 'blueprint_compile_failed');
    expect(data.blueprint).toBe('broken.v1@1.0.0');
  });

  it('passes stage_* codes through', () => {
    const catalog = createBuiltinCatalog();
    catalog.jobKinds.set('echo-only', [
      {
        id: 'echo-only',
        version: 1,
        description: 'only echo',
        partitioners: [],
        executors: ['echo'],
        safety: { allowNonIdempotent: false, requireDryRun: false },
        defaultSloMs: 1000,
      },
    ]);
    withBlueprint(catalog, {
      id: 'kinded.v1',
      version: '1.0.0',
      summary: 'a command step in an echo-only kind',
      kind: 'echo-only',
      bindings: z.object({}),
      input: z.object({}),
      output: z.object({}),
      compile: () => ({ steps: [{ id: 'x', executor: 'command', with: { argv: ['true'] } }] }),
    });
    const { spec } = parse('target: { kind: blueprint, id: kinded.v1 }\n');
    const data = errorData(() => resolveJob(catalog, spec), 'stage_executor_not_allowed');
    expect(data).toMatchObject({ step: 'x', executor: 'command' });
  });
});
