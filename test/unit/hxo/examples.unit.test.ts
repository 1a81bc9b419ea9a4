import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import hxoPack from '@lily/hxo';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { compileBlueprint } from '../../../src/blueprints/compile.js';
import { jobSpecSchema } from '../../../src/blueprints/jobs/spec.js';
import { installPack } from '../../../src/blueprints/packs.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'examples', 'hxo');
const jobs = readdirSync(dir).filter((f) => f.endsWith('.job.yaml'));

describe('examples/hxo job specs', () => {
  it('cover the six job kinds', () => {
    const catalog = createBuiltinCatalog();
    installPack(catalog, { default: hxoPack }, 'hxo');
    const kinds = new Set(
      jobs.map((f) => {
        const spec = jobSpecSchema.parse(parse(readFileSync(join(dir, f), 'utf8')));
        const bp = catalog.blueprints.find(spec.target.id, spec.target.version);
        return bp?.kind?.split('@')[0];
      }),
    );
    expect([...kinds].sort()).toEqual([
      'assets.index',
      'assets.stage',
      'deploy.migrate',
      'deploy.pack',
      'deploy.prime',
      'docs.index',
    ]);
  });

  it.each(jobs)('%s is a valid job spec whose bindings compile', (file) => {
    const spec = jobSpecSchema.parse(parse(readFileSync(join(dir, file), 'utf8')));
    expect(`${spec.id}.job.yaml`).toBe(file);
    const catalog = createBuiltinCatalog();
    installPack(catalog, { default: hxoPack }, 'hxo');
    const bp = catalog.blueprints.find(spec.target.id, spec.target.version);
    expect(bp).toBeDefined();
    const { plan } = compileBlueprint(catalog, bp as NonNullable<typeof bp>, spec.bindings);
    expect(plan.steps).toHaveLength(1);
  });
});
