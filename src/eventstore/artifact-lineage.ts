import type { Lineage, LineageNode } from '../contracts/artifact-store.js';
import type { ArtifactRef } from '../contracts/events/shared-schemas.js';

/**
 * Walks inputs breadth-first from `root`. Each sha is visited once, so shared ancestors appear
 * once and a (corrupt) cycle cannot loop. Unknown inputs become `missing` nodes.
 */
export const walkLineage = async (
  root: string,
  refsOf: (sha256: string) => Promise<ArtifactRef[]>,
): Promise<Lineage> => {
  const nodes: LineageNode[] = [];
  const edges: [string, string][] = [];
  const seen = new Set<string>([root]);
  const queue = [root];
  for (let sha = queue.shift(); sha !== undefined; sha = queue.shift()) {
    const refs = await refsOf(sha);
    const inputs = [...new Set(refs.flatMap((r) => r.inputs))].sort();
    nodes.push({ sha256: sha, refs, inputs, missing: refs.length === 0 });
    for (const input of inputs) {
      edges.push([sha, input]);
      if (!seen.has(input)) {
        seen.add(input);
        queue.push(input);
      }
    }
  }
  edges.sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
  return { root, nodes, edges };
};
