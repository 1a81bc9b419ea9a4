import type { Catalog } from './catalog.js';
import { type JobKind, resolveJobKind } from './job-kinds.js';

/** The deprecated job kind a plan names, or undefined (no kind, or a current one). */
export const deprecatedKind = (catalog: Catalog, kindRef: string | undefined): JobKind | undefined => {
  if (kindRef === undefined) return undefined;
  const kind = resolveJobKind(catalog.jobKinds, kindRef);
  return kind.deprecated ? kind : undefined;
};

/**
 * Deprecation warnings for a compiled plan (`lily jobs validate`, `lily blueprints plan`, and the
 * scheduler's answer to a run request, so `lily jobs run` says it too): an
 * old kind version keeps working, and says what replaces it and how to move.
 */
export const deprecationWarnings = (
  catalog: Catalog,
  jobId: string,
  kindRef: string | undefined,
): string[] => {
  const kind = deprecatedKind(catalog, kindRef);
  if (!kind?.deprecated) return [];
  const to = kind.deprecated.replacedBy ? ` (replaced by ${kind.deprecated.replacedBy})` : '';
  return [
    `job ${jobId}: job kind ${kind.id}@${kind.version} is deprecated${to}: ${kind.deprecated.message}; ` +
      `\`lily jobs upgrade ${jobId}\` shows the change`,
  ];
};
