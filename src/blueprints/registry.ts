import { LilyError } from '../contracts/errors.js';
import type { AnyBlueprint } from './blueprint.js';
import { compareVersions } from './versions.js';

/**
 * Blueprints by id and version (a catalog's `blueprints`). Registration-based: a new blueprint
 * is a `register` call, never a branch in core code. The same id@version twice is refused with
 * `blueprint_contract_invalid`; `get` of an unknown one throws `blueprint_not_found`.
 *
 * @example
 * catalog.blueprints.register(releaseCheck);
 * catalog.blueprints.get('release-check.v1').version; // '1.0.0' (the newest)
 */
export class BlueprintRegistry {
  readonly #byId = new Map<string, AnyBlueprint[]>();

  register(blueprint: AnyBlueprint): void {
    const versions = this.#byId.get(blueprint.id) ?? [];
    if (versions.some((b) => b.version === blueprint.version)) {
      throw new LilyError(
        'blueprint_contract_invalid',
        `blueprint ${blueprint.id}@${blueprint.version} is already registered`,
        { id: blueprint.id, version: blueprint.version, reason: 'duplicate' },
      );
    }
    versions.push(blueprint);
    versions.sort((a, b) => compareVersions(b.version, a.version));
    this.#byId.set(blueprint.id, versions);
  }

  /** The blueprint with this id (the newest version unless one is named), or undefined. */
  find(id: string, version?: string): AnyBlueprint | undefined {
    const versions = this.#byId.get(id);
    if (!versions) return undefined;
    return version === undefined ? versions[0] : versions.find((b) => b.version === version);
  }

  /** Like `find`, but throws `blueprint_not_found` with the known ids as data. */
  get(id: string, version?: string): AnyBlueprint {
    const found = this.find(id, version);
    if (found) return found;
    const known = this.list().map((b) => `${b.id}@${b.version}`);
    const what = version === undefined ? id : `${id}@${version}`;
    throw new LilyError('blueprint_not_found', `no blueprint ${what} is registered`, { id, version, known });
  }

  /** Every registered blueprint, by id then newest version first. */
  list(): AnyBlueprint[] {
    return [...this.#byId.keys()].sort().flatMap((id) => this.#byId.get(id) ?? []);
  }
}
