import { describe, expect, it } from 'vitest';
import { releaseCheck } from '../../examples/blueprints/release-check.js';
import { compileBlueprint, createBuiltinCatalog } from '../../src/blueprints/index.js';
import { LilyError } from '../../src/contracts/index.js';

describe('docs/blueprints.md example', () => {
  const catalog = createBuiltinCatalog();
  catalog.blueprints.register(releaseCheck);

  it('compiles to the plan the guide shows, with a stable hash', () => {
    const { plan, planHash } = compileBlueprint(catalog, releaseCheck, { package_manager: 'pnpm' });
    expect(plan.steps.map((s) => [s.id, s.needs])).toEqual([
      ['install', []],
      ['test', ['install']],
      ['pack', ['test']],
    ]);
    expect(plan.steps[1]?.retry.maxAttempts).toBe(2);
    expect(plan.steps[2]?.gates[0]).toMatchObject({ id: 'lint', required: false });
    expect(compileBlueprint(catalog, releaseCheck, { package_manager: 'pnpm' }).planHash).toBe(planHash);
  });

  it('refuses bad bindings with the zod issues', () => {
    expect(() => compileBlueprint(catalog, releaseCheck, { package_manager: 'yarn' })).toThrowError(
      LilyError,
    );
  });
});
