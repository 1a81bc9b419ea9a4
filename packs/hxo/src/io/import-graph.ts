import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { type ExecutionContext, sha256Hex } from 'lily';
import { isScript } from '../model/plan-dag.js';
import { extensionOf, type ListedFile } from '../model/plan-types.js';
import { terminal } from './step-errors.js';

/** One import of a module, as the lexer found it. */
export interface ModuleImport {
  specifier: string;
  /** The workspace module it resolves to; absent for packages and unresolved paths. */
  resolved?: string;
  typeOnly: boolean;
  dynamic: boolean;
}

export interface ScannedModule {
  path: string;
  sha256: string;
  imports: ModuleImport[];
}

const lexer = async () => {
  const m = await import('es-module-lexer');
  await m.init;
  return m;
};

const LOADERS: Record<string, 'ts' | 'tsx' | 'js' | 'jsx'> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.jsx': 'jsx',
};

/** Lexes a module's imports with es-module-lexer; JSX (which it cannot lex) is compiled away first with esbuild. */
export const lexImports = async (source: string, path: string): Promise<Omit<ModuleImport, 'resolved'>[]> => {
  const { parse } = await lexer();
  let imports: ReturnType<typeof parse>[0];
  try {
    [imports] = parse(source, path);
  } catch (first) {
    const esbuild = await import('esbuild');
    const loader = LOADERS[extensionOf(path)] ?? 'js';
    try {
      const { code } = await esbuild.transform(source, { loader, format: 'esm' });
      [imports] = parse(code, path);
    } catch {
      throw terminal(
        'parse_failed',
        `cannot lex the imports of ${path}`,
        { path, error: String(first) },
        first,
      );
    }
  }
  return imports
    .filter((i) => typeof i.specifier === 'string' && i.specifier !== '')
    .map((i) => ({
      specifier: i.specifier as string,
      typeOnly: 'typeOnly' in i ? Boolean(i.typeOnly) : false,
      dynamic: i.type === 'dynamic',
    }));
};

const SOURCE_FOR: Record<string, string[]> = {
  '.js': ['.ts', '.tsx'],
  '.jsx': ['.tsx'],
  '.mjs': ['.mts'],
  '.cjs': ['.cts'],
};
const TRY = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];

/**
 * Resolves a relative specifier against the importing module, the way TypeScript's NodeNext
 * and bundlers do: the file itself, `.js` written for a `.ts` source, an added extension, or a
 * folder's `index`. Package specifiers and paths outside `known` resolve to undefined.
 */
export const resolveSpecifier = (
  from: string,
  specifier: string,
  known: ReadonlySet<string>,
): string | undefined => {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = posix.normalize(posix.join(posix.dirname(from), specifier.split(/[?#]/)[0] as string));
  if (base.startsWith('../')) return undefined;
  const ext = extensionOf(base);
  const stem = base.slice(0, base.length - ext.length);
  const candidates = [
    base,
    ...(SOURCE_FOR[ext] ?? []).map((e) => stem + e),
    ...TRY.map((e) => base + e),
    ...TRY.map((e) => `${base}/index${e}`),
  ];
  return candidates.find((c) => known.has(c));
};

/** Reads and lexes the JS/TS modules of `files`, imports resolved against the modules of `all`. */
export const scanModules = async (
  ctx: ExecutionContext,
  files: readonly ListedFile[],
  all: readonly ListedFile[] = files,
): Promise<ScannedModule[]> => {
  const scripts = files.filter((f) => isScript(f.path));
  const known = new Set(all.filter((f) => isScript(f.path)).map((f) => f.path));
  const out: ScannedModule[] = [];
  for (const f of scripts) {
    const bytes = await readFile(ctx.resolvePath(f.path));
    const imports = await lexImports(bytes.toString('utf8'), f.path);
    out.push({
      path: f.path,
      sha256: sha256Hex(bytes),
      imports: imports.map((i) => {
        const resolved = resolveSpecifier(f.path, i.specifier, known);
        return resolved === undefined ? i : { ...i, resolved };
      }),
    });
  }
  return out;
};

/** The runtime import graph (type-only imports carry no runtime edge): module -> sorted, unique deps. */
export const runtimeDeps = (modules: readonly ScannedModule[]): Map<string, string[]> =>
  new Map(
    modules.map((m) => [
      m.path,
      [
        ...new Set(
          m.imports.filter((i) => !i.typeOnly && i.resolved !== undefined).map((i) => i.resolved as string),
        ),
      ].sort(),
    ]),
  );
