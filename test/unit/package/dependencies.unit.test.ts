/**
 * The package installs and loads in a user's project: every package src/ imports is a
 * `dependency` or a declared `peerDependency`, an optional peer (fast-check) is reachable only
 * from the entry that needs it (`lily/testing`), and `exports`, `types` and `bin` point at what
 * the build emits from src/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const SRC = join(ROOT, 'src');

interface PackageJson {
  main: string;
  types: string;
  bin: Record<string, string>;
  files: string[];
  exports: Record<string, string | { types: string; default: string }>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;

interface ModuleImport {
  specifier: string;
  /** `import type` / `export type`: erased from the emitted JavaScript. */
  typeOnly: boolean;
}

/** Every module specifier of a TypeScript source: static imports and re-exports, and literal dynamic imports. */
const importsOf = (file: string, text = readFileSync(file, 'utf8')): ModuleImport[] => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: ModuleImport[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.importClause?.isTypeOnly ?? false });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
};

/** `@scope/name/sub/path.js` -> `@scope/name`; `name/sub` -> `name`; undefined for relative and built-in modules. */
const packageOf = (specifier: string): string | undefined => {
  if (specifier.startsWith('.') || specifier.startsWith('/') || isBuiltin(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
};

/** The console's page (src/ui/web) is bundled by esbuild at build time: its imports are build-time only. */
const BUNDLED = join(SRC, 'ui', 'web');

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (path === BUNDLED) return [];
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });

/** The source files (relative to the root) the emitted JavaScript of `entry` loads, and the packages they import. */
const runtimeGraph = (entry: string): { files: Set<string>; packages: Map<string, string> } => {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop() as string;
    const rel = relative(ROOT, file);
    if (files.has(rel)) continue;
    files.add(rel);
    for (const { specifier, typeOnly } of importsOf(file)) {
      if (typeOnly) continue;
      const name = packageOf(specifier);
      if (name !== undefined) {
        if (!packages.has(name)) packages.set(name, rel);
      } else if (specifier.startsWith('.')) {
        stack.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'));
      }
    }
  }
  return { files, packages };
};

/** A package.json target under dist/ -> the src/ file it is emitted from. */
const sourceOf = (target: string): string =>
  join(SRC, target.replace(/^\.\/dist\//, '').replace(/\.d\.ts$|\.js$/, '.ts'));

const installed = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
const optionalPeers = Object.keys(pkg.peerDependencies).filter((p) => pkg.peerDependenciesMeta[p]?.optional);

describe('dependencies of the lily package', () => {
  it('declares every package src/ imports as a dependency or a peer dependency', () => {
    const undeclared: string[] = [];
    for (const file of sourceFiles(SRC)) {
      for (const { specifier } of importsOf(file)) {
        const name = packageOf(specifier);
        if (name !== undefined && !installed.has(name)) undeclared.push(`${name} (${relative(ROOT, file)})`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('keeps optional peers (fast-check) out of `lily` and the `lily` binary: only lily/testing loads them', () => {
    expect(optionalPeers).toContain('fast-check');
    const testing = runtimeGraph(sourceOf('./dist/testing/index.js'));
    expect([...testing.packages.keys()]).toContain('fast-check');
    const cliMain = readFileSync(join(ROOT, pkg.bin.lily ?? ''), 'utf8').match(
      /import '\.\.\/(dist\/.+\.js)'/,
    )?.[1];
    for (const entry of [sourceOf(pkg.main), sourceOf(`./${cliMain}`)]) {
      const graph = runtimeGraph(entry);
      expect(graph.files.size).toBeGreaterThan(1);
      const loaded = optionalPeers
        .filter((p) => graph.packages.has(p))
        .map((p) => `${p} (${graph.packages.get(p)})`);
      expect(loaded, relative(ROOT, entry)).toEqual([]);
    }
  });

  it('installs its peers for its own development (devDependencies)', () => {
    for (const peer of Object.keys(pkg.peerDependencies))
      expect(pkg.devDependencies[peer], peer).toBeDefined();
  });
});

describe('entry points', () => {
  it('points main, types, every export and the binary at files the build emits from src/', () => {
    const targets = [pkg.main, pkg.types];
    for (const target of Object.values(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(Object.keys(target)[0], 'the types condition comes first').toBe('types');
      targets.push(target.types, target.default);
    }
    for (const target of targets) expect(sourceFiles(SRC)).toContain(sourceOf(target));
    expect(Object.keys(pkg.exports)).toEqual(['.', './testing', './package.json']);
    expect(pkg.files).toEqual(expect.arrayContaining(['bin', 'dist']));
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
  });
});

describe('the import scanner', () => {
  it('sees static, re-exported and dynamic imports, and which are type-only', () => {
    const text = [
      "import type { A } from 'type-only';",
      "import { b, type C } from '@scope/pkg/sub.js';",
      "export { d } from './local.js';",
      "export type { E } from 'types-again';",
      "const m = await import('lazy-pkg');",
      "import { readFile } from 'node:fs/promises';",
    ].join('\n');
    const found = importsOf('x.ts', text);
    expect(found).toEqual([
      { specifier: 'type-only', typeOnly: true },
      { specifier: '@scope/pkg/sub.js', typeOnly: false },
      { specifier: './local.js', typeOnly: false },
      { specifier: 'types-again', typeOnly: true },
      { specifier: 'lazy-pkg', typeOnly: false },
      { specifier: 'node:fs/promises', typeOnly: false },
    ]);
    expect(found.map((f) => packageOf(f.specifier))).toEqual([
      'type-only',
      '@scope/pkg',
      undefined,
      'types-again',
      'lazy-pkg',
      undefined,
    ]);
  });
});
