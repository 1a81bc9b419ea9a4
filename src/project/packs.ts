import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../blueprints/catalog.js';
import { installPack } from '../blueprints/packs.js';
import { LilyError } from '../contracts/errors.js';
import type { LilyConfig } from './config.js';

const isPath = (entry: string): boolean => entry.startsWith('.') || isAbsolute(entry);

/** The conditions Node's ESM loader uses for `import()` of a package: what the engine does with a pack. */
const CONDITIONS = ['node', 'import', 'default'];

/** `@scope/name/sub` -> [`@scope/name`, `./sub`]; `name` -> [`name`, `.`]. */
const splitPackage = (entry: string): [string, string] => {
  const parts = entry.split('/');
  const size = entry.startsWith('@') ? 2 : 1;
  const rest = parts.slice(size).join('/');
  return [parts.slice(0, size).join('/'), rest === '' ? '.' : `./${rest}`];
};

/** Resolves an `exports` target (a path, an array of fallbacks, or conditions) with CONDITIONS. */
const target = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = target(v);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [condition, v] of Object.entries(value)) {
    if (!CONDITIONS.includes(condition)) continue;
    const found = target(v);
    if (found !== undefined) return found;
  }
  return undefined;
};

/** The file a subpath of a package maps to through its `exports` (exact keys and one-`*` patterns). */
const exported = (exports: unknown, subpath: string): string | undefined => {
  const isMap =
    exports !== null &&
    typeof exports === 'object' &&
    !Array.isArray(exports) &&
    Object.keys(exports).some((k) => k.startsWith('.'));
  if (!isMap) return subpath === '.' ? target(exports) : undefined;
  const map = exports as Record<string, unknown>;
  if (subpath in map) return target(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [head, tail] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(head) && subpath.endsWith(tail) && subpath.length >= key.length - 1) {
      const match = subpath.slice(head.length, subpath.length - tail.length);
      return target(value)?.replaceAll('*', match);
    }
  }
  return undefined;
};

/**
 * The file a package entry (`name` or `name/sub`) names, resolved as an `import` in a module
 * of `dir` would resolve it: the nearest `node_modules/<name>` up from `dir`, then its
 * `exports` with the `node`/`import`/`default` conditions, else `main` (or `index.js`).
 * Undefined when no such package is installed or it does not export that subpath.
 */
export const resolvePackageEntry = (entry: string, dir: string): string | undefined => {
  const [name, subpath] = splitPackage(entry);
  for (let at = resolve(dir); ; at = dirname(at)) {
    const root = join(at, 'node_modules', name);
    const manifest = join(root, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown; main?: unknown };
      const file =
        pkg.exports !== undefined
          ? exported(pkg.exports, subpath)
          : subpath === '.'
            ? typeof pkg.main === 'string'
              ? pkg.main
              : 'index.js'
            : subpath;
      return file === undefined ? undefined : resolve(root, file);
    }
    if (dirname(at) === at) return undefined;
  }
};

/**
 * The import specifier of a pack entry: a file URL for a path (relative to the project); for a
 * package name, the package as resolved from the project directory, else the bare name, which
 * `import()` resolves from Lily's own installation. So a project without node_modules (one made
 * by `lily init --example hxo`) loads `@lily/hxo` from where Lily is installed, and a project
 * that installs its own copy gets that one (docs/decisions/012).
 */
export const packSpecifier = (entry: string, dir: string): string => {
  if (isPath(entry)) return pathToFileURL(resolve(dir, entry)).href;
  const file = resolvePackageEntry(entry, dir);
  return file === undefined ? entry : pathToFileURL(file).href;
};

/**
 * Imports every pack listed in `config.packs` and installs it into the catalog, in order.
 * Throws `pack_invalid` `{source, reason: 'import_failed', error}` when a module cannot be
 * imported, and whatever `installPack` throws (`pack_invalid` `{source, issues}`) for an
 * invalid one.
 */
export const loadPacks = async (
  catalog: Catalog,
  config: Pick<LilyConfig, 'packs'>,
  dir: string,
): Promise<void> => {
  for (const entry of config.packs) {
    let mod: unknown;
    try {
      mod = await import(packSpecifier(entry, dir));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      const hint = isPath(entry)
        ? ''
        : ` (a package is looked up in ${resolve(dir)} first, then next to Lily: npm install ${entry} in either)`;
      throw new LilyError(
        'pack_invalid',
        `pack ${entry} cannot be imported: ${message}${hint}`,
        {
          source: entry,
          reason: 'import_failed',
          error: message,
        },
        { cause: e },
      );
    }
    installPack(catalog, mod, entry);
  }
};
