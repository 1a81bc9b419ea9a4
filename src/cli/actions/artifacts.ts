import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ArtifactStore, Lineage } from '../../contracts/artifact-store.js';
import { LilyError } from '../../contracts/errors.js';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';
import type { CliContext, Outcome } from '../context.js';
import { formatBytes, formatTime, shortSha } from '../render/format.js';
import { renderTable } from '../render/table.js';
import { withStorage } from './run-store.js';

/** `lily artifacts list [--run <id>]`: JSON `{artifacts: [ArtifactRef]}` (oldest first). */
export const listArtifacts = async (ctx: CliContext, options: { run?: string }): Promise<Outcome> => {
  const artifacts = await withStorage(ctx.dir, ({ artifacts }) =>
    artifacts.list(options.run === undefined ? {} : { runId: options.run }),
  );
  return {
    data: { artifacts },
    human: ({ colors: c }) =>
      artifacts.length === 0
        ? 'No artifacts.'
        : renderTable(
            c,
            ['SHA256', 'NAME', 'TYPE', 'SIZE', 'RUN', 'STEP', 'CREATED'],
            artifacts.map((a) => [
              shortSha(a.sha256),
              a.name,
              a.type ?? a.mediaType,
              formatBytes(a.size),
              a.runId ?? '',
              a.stepId ?? '',
              formatTime(a.createdAt),
            ]),
          ),
  };
};

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

/**
 * `lily artifacts get <sha|name> [--output file]`: the raw bytes to stdout, or to a file.
 * JSON: `{ref, output, bytes}` with `--output`; `{ref, encoding: 'base64', content}` without.
 */
export const getArtifact = async (
  ctx: CliContext,
  ref: string,
  options: { output?: string },
): Promise<Outcome> => {
  const { found, bytes } = await withStorage(ctx.dir, async ({ artifacts }) => {
    const found = await resolveArtifact(artifacts, ref);
    const stored = await artifacts.get(found.sha256);
    if (!stored) throw new LilyError('artifact_not_found', `the blob of ${found.sha256} is gone`, { ref });
    return { found, bytes: stored.bytes };
  });
  if (options.output !== undefined) {
    const output = resolve(ctx.dir, options.output);
    await writeFile(output, bytes);
    return {
      data: { ref: found, output, bytes: bytes.length },
      human: ({ colors: c }) =>
        `${c.green('wrote')} ${formatBytes(bytes.length)} (${found.name}) to ${output}`,
    };
  }
  return {
    data: { ref: found, encoding: 'base64', content: Buffer.from(bytes).toString('base64') },
    bytes,
    human: () => '',
  };
};

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

/** `lily artifacts lineage <sha>`: Mermaid for people; `--json` the DAG `{root, nodes, edges}`. */
export const artifactLineage = async (ctx: CliContext, ref: string): Promise<Outcome> => {
  const lineage = await withStorage(ctx.dir, async ({ artifacts }) =>
    artifacts.lineage((await resolveArtifact(artifacts, ref)).sha256),
  );
  return { data: lineage, human: () => lineageMermaid(lineage).trimEnd() };
};
