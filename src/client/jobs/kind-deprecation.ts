import type { AnyBlueprint } from '../../blueprints/blueprint.js';
import type { Catalog } from '../../blueprints/catalog.js';
import { resolveJobKind } from '../../blueprints/job-kinds.js';
import { LilyError } from '../../contracts/errors.js';

export { deprecatedKind, deprecationWarnings } from '../../blueprints/kind-deprecation.js';

/**
 * The blueprint that implements the kind replacing a deprecated one: the newest version of the
 * only blueprint of that kind, or, when several, the one in the same family (same id up to its
 * trailing `.vN`). Undefined when no blueprint implements it; `job_upgrade_ambiguous` when
 * several do and none is of the same family.
 */
export const replacementBlueprint = (
  catalog: Catalog,
  current: AnyBlueprint,
  replacedBy: string,
): AnyBlueprint | undefined => {
  const target = resolveJobKind(catalog.jobKinds, replacedBy);
  const ref = `${target.id}@${target.version}`;
  const newest = new Map<string, AnyBlueprint>();
  const implementsTarget = (bp: AnyBlueprint): boolean => {
    try {
      return bp.kind !== undefined && resolveJobKind(catalog.jobKinds, bp.kind) === target;
    } catch {
      return false;
    }
  };
  // list() is newest first per id.
  for (const bp of catalog.blueprints.list()) {
    if (!newest.has(bp.id) && implementsTarget(bp)) newest.set(bp.id, bp);
  }
  const candidates = [...newest.values()];
  if (candidates.length <= 1) return candidates[0];
  const family = (id: string) => id.replace(/\.v\d+$/, '');
  const same = candidates.filter((bp) => family(bp.id) === family(current.id));
  if (same.length === 1) return same[0];
  throw new LilyError('job_upgrade_ambiguous', `several blueprints implement ${ref}`, {
    kind: ref,
    candidates: candidates.map((bp) => `${bp.id}@${bp.version}`),
  });
};
