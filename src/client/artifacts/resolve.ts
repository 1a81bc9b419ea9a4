import type { ArtifactStore } from '../../contracts/artifact-store.js';
import { LilyError } from '../../contracts/errors.js';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';

/**
 * An artifact by full sha256, unique sha prefix (8+ hex digits), or name (the newest record
 * with that name). Throws `artifact_not_found` `{ref, candidates?}`.
 */
export const resolveArtifact = async (artifacts: ArtifactStore, ref: string): Promise<ArtifactRef> => {
  if (/^[0-9a-f]{64}$/.test(ref)) {
    const found = await artifacts.ref(ref);
    if (found) return found;
  } else if (/^[0-9a-f]{8,63}$/.test(ref)) {
    const matches = [
      ...new Set((await artifacts.list()).filter((a) => a.sha256.startsWith(ref)).map((a) => a.sha256)),
    ];
    if (matches.length > 1) {
      throw new LilyError('artifact_not_found', `${ref} is the prefix of ${matches.length} artifacts`, {
        ref,
        candidates: matches,
      });
    }
    const found = matches[0] === undefined ? undefined : await artifacts.ref(matches[0]);
    if (found) return found;
  }
  const named = await artifacts.list({ name: ref });
  const newest = named[named.length - 1];
  if (newest) return newest;
  throw new LilyError('artifact_not_found', `no artifact with sha256 or name ${ref}`, { ref });
};
