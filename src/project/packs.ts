import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../blueprints/catalog.js';
import { installPack } from '../blueprints/packs.js';
import { LilyError } from '../contracts/errors.js';
import type { LilyConfig } from './config.js';

const isPath = (entry: string): boolean => entry.startsWith('.') || isAbsolute(entry);

/**
 * The import specifier of a pack entry: a file URL for a path (relative to the project); for a
 * package name, the package as resolved from the project directory, else the bare name, which
 * `import()` resolves from Lily's own installation. So a project without node_modules (one made
 * by `lily init --example hxo`) loads `@lily/hxo` from where Lily is installed, and a project
 * that installs its own copy gets that one (docs/decisions/012).
 */
export const packSpecifier = (entry: string, dir: string): string => {
  if (isPath(entry)) return pathToFileURL(resolve(dir, entry)).href;
  try {
    return pathToFileURL(createRequire(join(resolve(dir), 'package.json')).resolve(entry)).href;
  } catch {
    return entry;
  }
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
