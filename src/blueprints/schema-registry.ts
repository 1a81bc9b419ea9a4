import type { z } from 'zod';
import { LilyError } from '../contracts/errors.js';

/** `name@version`, e.g. `lily.command-result@1`. */
const TYPE_NAME = /^[a-z0-9][a-z0-9._-]*@[0-9]+(\.[0-9]+){0,2}$/;

/**
 * Artifact and output types (seed kernel layer 1): `name@version` -> zod schema (a catalog's
 * `schemas`). Registered by the core and by packs; a type is registered once and never
 * replaced: `register` throws `pack_invalid` for a malformed name or one already taken.
 *
 * @example
 * catalog.schemas.register('release.report@1', z.object({ version: z.string() }), 'my-pack');
 */
export class SchemaRegistry {
  readonly #schemas = new Map<string, { schema: z.ZodType; owner: string }>();

  register(type: string, schema: z.ZodType, owner = 'core'): void {
    if (!TYPE_NAME.test(type)) {
      throw new LilyError('pack_invalid', `schema type ${JSON.stringify(type)} is not name@version`, {
        type,
        owner,
      });
    }
    const existing = this.#schemas.get(type);
    if (existing) {
      throw new LilyError('pack_invalid', `schema type ${type} is already registered by ${existing.owner}`, {
        type,
        owner,
        registeredBy: existing.owner,
      });
    }
    this.#schemas.set(type, { schema, owner });
  }

  get(type: string): z.ZodType | undefined {
    return this.#schemas.get(type)?.schema;
  }

  has(type: string): boolean {
    return this.#schemas.has(type);
  }

  list(): { type: string; owner: string }[] {
    return [...this.#schemas]
      .map(([type, { owner }]) => ({ type, owner }))
      .sort((a, b) => (a.type < b.type ? -1 : 1));
  }
}
