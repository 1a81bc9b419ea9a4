import hxoPack, { docsIndexV1, docsIndexV2 } from '@lily/hxo';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { defineBlueprint } from '../../../src/blueprints/define.js';
import { installPack } from '../../../src/blueprints/packs.js';
import { deprecationWarnings, replacementBlueprint } from '../../../src/client/jobs/kind-deprecation.js';
import { isLilyError } from '../../../src/contracts/errors.js';

const docsBlueprint = (id: string) =>
  defineBlueprint({
    id,
    version: '1.0.0',
    summary: 'another docs.index@2 blueprint',
    kind: 'docs.index@2',
    bindings: z.object({}),
    input: z.object({}),
    output: z.object({}),
    compile: () => ({ steps: [{ id: 'index', executor: 'docs_index' }] }),
  });

const catalog = (extra: string[] = []) => {
  const c = createBuiltinCatalog();
  installPack(c, { default: hxoPack }, 'hxo');
  for (const id of extra) c.blueprints.register(docsBlueprint(id));
  return c;
};

describe('kind deprecation', () => {
  it('warns for a deprecated kind only', () => {
    const c = catalog();
    expect(deprecationWarnings(c, 'j', `${docsIndexV1.id}@1`)).toEqual([
      expect.stringMatching(
        /^job j: job kind docs\.index@1 is deprecated \(replaced by docs\.index@2\): .*lily jobs upgrade j/,
      ),
    ]);
    expect(deprecationWarnings(c, 'j', `${docsIndexV2.id}@2`)).toEqual([]);
    expect(deprecationWarnings(c, 'j', undefined)).toEqual([]);
  });

  it('finds the blueprint of the replacing kind, preferring the same family when several', () => {
    const c = catalog(['other.docs']);
    const v1 = c.blueprints.get('hxo.docs-index.v1');
    expect(replacementBlueprint(c, v1, 'docs.index@2')?.id).toBe('hxo.docs-index.v2');
  });

  it('refuses to guess between blueprints of another family', () => {
    const c = catalog(['other.docs']);
    const stranger = docsBlueprint('third.docs-index.v1');
    let error: unknown;
    try {
      replacementBlueprint(c, { ...stranger, id: 'third.docs' }, 'docs.index@2');
    } catch (e) {
      error = e;
    }
    expect(isLilyError(error) && error.code).toBe('job_upgrade_ambiguous');
  });
});
