/**
 * Packs named by package in `.lily/config.yaml` resolve from the project directory, as an
 * `import` written in a module there would: the nearest node_modules, `exports` with the
 * node/import/default conditions (import-only packages included), else `main`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import { loadPacks, packSpecifier, resolvePackageEntry } from '../../../src/project/packs.js';

let dir: string;
let project: string;

const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};
const pkg = (root: string, name: string, manifest: object, files: Record<string, string>) => {
  write(
    join(root, 'node_modules', name, 'package.json'),
    JSON.stringify({ name, type: 'module', ...manifest }),
  );
  for (const [file, text] of Object.entries(files)) write(join(root, 'node_modules', name, file), text);
};
const packModule = (name: string) =>
  `export default { name: '${name}', version: '1.0.0', executors: [{ name: '${name}-exec', summary: 'x', sideEffects: 'none' }] };\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lily-pack-resolution-'));
  project = join(dir, 'repo', 'project');
  mkdirSync(project, { recursive: true });
  pkg(
    project,
    'import-only',
    { exports: { '.': { import: './esm/index.js' } } },
    {
      'esm/index.js': packModule('import-only'),
    },
  );
  pkg(
    project,
    '@acme/nested',
    { exports: { '.': { node: { import: './n.js', require: './n.cjs' } }, './extra/*': './x/*.js' } },
    {
      'n.js': packModule('nested'),
      'x/more.js': packModule('more'),
    },
  );
  pkg(project, 'sugar', { exports: './main.js' }, { 'main.js': packModule('sugar') });
  pkg(project, 'old-style', { main: 'lib/pack.js' }, { 'lib/pack.js': packModule('old-style') });
  // Installed above the project (a monorepo root): found by walking up.
  pkg(join(dir, 'repo'), 'hoisted', { exports: { default: './h.js' } }, { 'h.js': packModule('hoisted') });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolvePackageEntry', () => {
  it('follows exports with the import conditions, patterns, sugar, main, and walks up to node_modules', () => {
    const at = (entry: string) => resolvePackageEntry(entry, project);
    expect(at('import-only')).toBe(join(project, 'node_modules/import-only/esm/index.js'));
    expect(at('@acme/nested')).toBe(join(project, 'node_modules/@acme/nested/n.js'));
    expect(at('@acme/nested/extra/more')).toBe(join(project, 'node_modules/@acme/nested/x/more.js'));
    expect(at('sugar')).toBe(join(project, 'node_modules/sugar/main.js'));
    expect(at('old-style')).toBe(join(project, 'node_modules/old-style/lib/pack.js'));
    expect(at('hoisted')).toBe(join(dir, 'repo/node_modules/hoisted/h.js'));
  });

  it('is undefined for a package that is not installed or a subpath it does not export', () => {
    expect(resolvePackageEntry('not-installed-anywhere-xyz', project)).toBeUndefined();
    expect(resolvePackageEntry('import-only/private', project)).toBeUndefined();
  });

  it('leaves paths to the project and unknown names to Lily', () => {
    expect(packSpecifier('./packs/p.mjs', project)).toBe(pathToFileURL(join(project, 'packs/p.mjs')).href);
    expect(packSpecifier('not-installed-anywhere-xyz', project)).toBe('not-installed-anywhere-xyz');
  });
});

describe('loadPacks', () => {
  it("installs packs named by package from the project's node_modules, import-only ones included", async () => {
    const catalog = createBuiltinCatalog();
    await loadPacks(catalog, { packs: ['import-only', '@acme/nested', 'old-style', 'hoisted'] }, project);
    expect(catalog.packs.map((p) => p.name)).toEqual(['import-only', 'nested', 'old-style', 'hoisted']);
    expect(catalog.executors.has('import-only-exec')).toBe(true);
  });

  it('says pack_invalid (import_failed) for a package it cannot find', async () => {
    const err = await loadPacks(
      createBuiltinCatalog(),
      { packs: ['not-installed-anywhere-xyz'] },
      project,
    ).catch((e: unknown) => e);
    expect(hasErrorCode(err, 'pack_invalid')).toBe(true);
    expect((err as { data: unknown }).data).toMatchObject({ reason: 'import_failed' });
  });
});
