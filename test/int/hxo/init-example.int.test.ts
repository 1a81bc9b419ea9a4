/**
 * `initProject(dir, {example: 'hxo'})`: the project the HXO walkthrough starts from. The files
 * come from the pack's package (packs/hxo/example), the project has no node_modules, and the
 * project opens with the pack loaded and every job compiling against it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileBlueprint } from '../../../src/blueprints/compile.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import { exampleFiles, findExample } from '../../../src/project/examples.js';
import { initProject } from '../../../src/project/init.js';
import { openProject } from '../../../src/project/open.js';

const EXAMPLE_DIR = resolve(import.meta.dirname, '../../../packs/hxo/example');
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-init-example-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const rel = (dir: string, files: string[]) => files.map((f) => f.slice(dir.length + 1)).sort();

describe('lily init --example hxo', () => {
  it('finds the example in the @lily/hxo package, next to Lily when the project has no node_modules', () => {
    const dir = tempDir();
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const example = findExample('hxo', dir);
    expect(example).toEqual({ name: 'hxo', packageName: '@lily/hxo', dir: EXAMPLE_DIR });
    const targets = exampleFiles(example).map((f) => f.target);
    expect(targets.filter((t) => t.startsWith('.lily/'))).toEqual([
      '.lily/config.yaml',
      '.lily/jobs/hxo-assets-index.job.yaml',
      '.lily/jobs/hxo-assets-stage.job.yaml',
      '.lily/jobs/hxo-docs-index.job.yaml',
      '.lily/jobs/hxo-migrate.job.yaml',
      '.lily/jobs/hxo-pack-modules.job.yaml',
      '.lily/jobs/hxo-pack-src.job.yaml',
      '.lily/jobs/hxo-prime.job.yaml',
      '.lily/jobs/hxo-warm.job.yaml',
      '.lily/policy.yaml',
    ]);
    for (const root of ['src/', 'docs/', 'migrations/', 'assets/'])
      expect(targets.some((t) => t.startsWith(root))).toBe(true);
  });

  it('creates a project that opens with the pack loaded; every job compiles; the kinds are all six', async () => {
    const dir = tempDir();
    const result = await initProject(dir, { example: 'hxo' });
    expect(result.example?.packageName).toBe('@lily/hxo');
    expect(result.kept).toEqual([]);
    expect(rel(dir, result.created)).toEqual(
      ['.lily/.gitignore', ...exampleFiles(findExample('hxo', dir)).map((f) => f.target)].sort(),
    );
    expect(existsSync(join(dir, '.lily', 'jobs', 'hello.job.yaml'))).toBe(false);
    expect(readFileSync(join(dir, 'assets/img/logo.png'))).toEqual(
      readFileSync(join(EXAMPLE_DIR, 'assets/img/logo.png')),
    );

    const project = await openProject(dir);
    expect(project.config.packs).toEqual(['@lily/hxo']);
    expect(project.config.workers).toBe(2);
    expect(project.policy.principals.operator?.capabilities).toContain('hxo:force-merge');
    expect(project.catalog.packs.map((p) => p.name)).toContain('hxo');
    const kinds = new Set<string>();
    for (const loaded of await project.jobs.loadAll()) {
      if (!loaded.ok) throw new Error(`${loaded.id}: ${String(loaded.error)}`);
      const { spec } = loaded.job;
      const bp = project.catalog.blueprints.find(spec.target.id, spec.target.version);
      if (!bp) throw new Error(`${spec.id}: no blueprint ${spec.target.id}`);
      const { plan } = compileBlueprint(project.catalog, bp, spec.bindings);
      expect(plan.steps.map((s) => s.executor)).toEqual([expect.any(String)]);
      for (const step of plan.steps) expect(project.policy.executors).toContain(step.executor);
      kinds.add(String(plan.kind).replace(/@\d+$/, ''));
    }
    expect([...kinds].sort()).toEqual([
      'assets.index',
      'assets.stage',
      'deploy.migrate',
      'deploy.pack',
      'deploy.prime',
      'docs.index',
    ]);
  });

  it('keeps existing files unless --force, and never deletes', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'migrations'));
    writeFileSync(join(dir, 'migrations', '001_notes.sql'), '-- mine\n');
    writeFileSync(join(dir, 'migrations', '900_mine.sql'), '-- mine too\n');
    const first = await initProject(dir, { example: 'hxo' });
    expect(rel(dir, first.kept)).toEqual(['migrations/001_notes.sql']);
    expect(readFileSync(join(dir, 'migrations', '001_notes.sql'), 'utf8')).toBe('-- mine\n');
    const again = await initProject(dir, { example: 'hxo' });
    expect(again.created).toEqual([]);
    const forced = await initProject(dir, { example: 'hxo', force: true });
    expect(forced.overwritten).toHaveLength(again.kept.length);
    expect(readFileSync(join(dir, 'migrations', '001_notes.sql'), 'utf8')).toContain('CREATE TABLE notes');
    expect(existsSync(join(dir, 'migrations', '900_mine.sql'))).toBe(true);
  });

  it('prefers a package installed in the project; example_not_found says why, writing nothing', async () => {
    const dir = tempDir();
    const pkg = (name: string, manifest: object) => {
      const root = join(dir, 'node_modules', ...name.split('/'));
      mkdirSync(root, { recursive: true });
      writeFileSync(join(root, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
      return root;
    };
    const demo = pkg('@acme/demo', { lily: { example: 'sample' } });
    mkdirSync(join(demo, 'sample', 'lily', 'jobs'), { recursive: true });
    writeFileSync(join(demo, 'sample', 'lily', 'config.yaml'), 'packs: ["@acme/demo"]\n');
    writeFileSync(join(demo, 'sample', 'README.md'), '# demo\n');
    pkg('@acme/plain', {});
    pkg('@acme/escape', { lily: { example: '../..' } });

    const error = async (name: string) => {
      const e = await initProject(dir, { example: name }).catch((x: unknown) => x);
      if (!hasErrorCode(e, 'example_not_found'))
        throw new Error(`expected example_not_found, got ${String(e)}`);
      return e.data;
    };
    expect(await error('nope')).toMatchObject({
      package: '@lily/nope',
      reason: 'package_not_installed',
      searched: [dir, expect.stringContaining('project')],
    });
    expect(await error('@acme/plain')).toMatchObject({ reason: 'no_example' });
    expect(await error('@acme/escape')).toMatchObject({ reason: 'no_example' });
    expect(await error('../etc')).toMatchObject({ reason: 'invalid_name' });
    expect(existsSync(join(dir, '.lily'))).toBe(false);

    const made = await initProject(dir, { example: '@acme/demo' });
    expect(made.example?.dir).toBe(join(demo, 'sample'));
    expect(readFileSync(join(dir, '.lily', 'config.yaml'), 'utf8')).toBe('packs: ["@acme/demo"]\n');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('# demo\n');
    expect(existsSync(join(dir, '.lily', 'policy.yaml'))).toBe(true);
  });
});
