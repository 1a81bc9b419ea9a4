import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Catalog } from '../blueprints/catalog.js';
import { installPack } from '../blueprints/packs.js';
import { LilyError } from '../contracts/errors.js';
import type { LilyConfig } from './config.js';

const isPath = (entry: string): boolean => entry.startsWith('.') || isAbsolute(entry);

/**
 * The import specifier of a pack entry: a file URL for a path (relative to the project), the
 * package resolved from the project directory for a name (falling back to Lily's own resolution).
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
      throw new LilyError(
        'pack_invalid',
        `pack ${entry} cannot be imported: ${message}`,
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
