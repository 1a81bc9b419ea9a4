import type { Lineage } from '../../contracts/artifact-store.js';
import { shortSha } from './format.js';

const label = (node: Lineage['nodes'][number]): string => {
  const name = node.refs[0]?.name ?? (node.missing ? 'missing' : '?');
  return `${name.replace(/["<>]/g, "'")}<br/>${shortSha(node.sha256)}`;
};

/** Mermaid flowchart of a lineage DAG: inputs point at what was made from them. */
export const lineageMermaid = (lineage: Lineage): string => {
  const id = (sha: string) => `a${shortSha(sha)}`;
  const lines = ['flowchart LR'];
  for (const node of lineage.nodes) {
    const shape = node.missing ? `[/"${label(node)}"/]` : `["${label(node)}"]`;
    lines.push(`  ${id(node.sha256)}${shape}`);
  }
  for (const [artifact, input] of lineage.edges) lines.push(`  ${id(input)} --> ${id(artifact)}`);
  lines.push(`  style ${id(lineage.root)} stroke-width:3px`);
  return `${lines.join('\n')}\n`;
};
