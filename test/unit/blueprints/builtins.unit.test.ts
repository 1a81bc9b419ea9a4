import { describe, expect, it } from 'vitest';
import {
  commandBlueprint,
  compileBlueprint,
  councilBlueprint,
  createBuiltinCatalog,
  describeBlueprint,
  pipelineBlueprint,
} from '../../../src/blueprints/index.js';
import { LilyError } from '../../../src/contracts/index.js';

const catalog = createBuiltinCatalog();

describe('built-in blueprints', () => {
  it('command.v1: one command step with its gates', () => {
    const { plan } = compileBlueprint(catalog, commandBlueprint, {
      run: ['npm', 'test'],
      retries: 2,
      gates: [{ id: 'lint', run: ['npm', 'run', 'lint'], required: false }],
    });
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]).toMatchObject({
      id: 'command',
      executor: 'command',
      with: { argv: ['npm', 'test'] },
      retry: { maxAttempts: 3 },
      gates: [{ id: 'lint', executor: 'command', required: false, with: { argv: ['npm', 'run', 'lint'] } }],
    });
  });

  it('pipeline.v1: sequential by default, parallel with explicit needs', () => {
    const { plan } = compileBlueprint(catalog, pipelineBlueprint, {
      steps: [
        { id: 'a', run: ['true'] },
        { id: 'b', run: ['true'] },
        { id: 'c', run: ['true'], needs: [] },
        { id: 'd', executor: 'echo', with: { value: 1 }, needs: ['b', 'c'] },
      ],
    });
    expect(plan.steps.map((s) => [s.id, s.needs])).toEqual([
      ['a', []],
      ['b', ['a']],
      ['c', []],
      ['d', ['b', 'c']],
    ]);
  });

  it('pipeline.v1: a step needs exactly one of run / executor, and unknown keys are refused', () => {
    for (const steps of [
      [{ id: 'a' }],
      [{ id: 'a', run: ['x'], executor: 'echo' }],
      [{ id: 'a', run: ['x'], colour: 'red' }],
    ]) {
      expect(() => compileBlueprint(catalog, pipelineBlueprint, { steps })).toThrowError(LilyError);
    }
  });

  it('council.v1: members in parallel, synthesis reads every member', () => {
    const { plan } = compileBlueprint(catalog, councilBlueprint, {
      members: [
        { id: 'alice', run: ['node', 'alice.js'] },
        { id: 'bob', run: ['node', 'bob.js'] },
      ],
      synthesis: { run: ['node', 'synth.js'] },
    });
    const synthesis = plan.steps.find((s) => s.id === 'synthesis');
    expect(synthesis?.needs).toEqual(['alice', 'bob']);
    expect(synthesis?.input).toEqual({
      alice: { from: 'step', step: 'alice' },
      bob: { from: 'step', step: 'bob' },
    });
    expect(() =>
      compileBlueprint(catalog, councilBlueprint, {
        members: [
          { id: 'a', run: ['x'] },
          { id: 'a', run: ['y'] },
        ],
        synthesis: { run: ['z'] },
      }),
    ).toThrowError(/bindings rejected/);
  });

  it('describes schemas as JSON Schema', () => {
    const d = describeBlueprint(pipelineBlueprint);
    expect(d).toMatchObject({ id: 'pipeline.v1', version: '1.0.0' });
    expect((d.bindings as { type?: string }).type).toBe('object');
  });
});
