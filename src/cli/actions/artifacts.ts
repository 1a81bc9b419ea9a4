import type { CliContext, Outcome } from '../context.js';
import { formatBytes, formatTime, shortSha } from '../render/format.js';
import { lineageMermaid } from '../render/lineage.js';
import { renderTable } from '../render/table.js';

/** `lily artifacts list [--run <id>]`: JSON `{artifacts: [ArtifactRef]}` (oldest first). */
export const listArtifacts = async (ctx: CliContext, options: { run?: string }): Promise<Outcome> => {
  const artifacts = await ctx.client.artifacts.list(options.run === undefined ? {} : { runId: options.run });
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
 * `lily artifacts get <sha|name> [--output file]`: the raw bytes to stdout, or to a file
 * (relative to the current directory). JSON: `{ref, output, bytes}` with `--output`;
 * `{ref, encoding: 'base64', content}` without.
 */
export const getArtifact = async (
  ctx: CliContext,
  ref: string,
  options: { output?: string },
): Promise<Outcome> => {
  if (options.output !== undefined) {
    const saved = await ctx.client.artifacts.save(ref, options.output);
    return {
      data: saved,
      human: ({ colors: c }) =>
        `${c.green('wrote')} ${formatBytes(saved.bytes)} (${saved.ref.name}) to ${saved.output}`,
    };
  }
  const { ref: found, bytes } = await ctx.client.artifacts.get(ref);
  return {
    data: { ref: found, encoding: 'base64', content: Buffer.from(bytes).toString('base64') },
    bytes,
    human: () => '',
  };
};

/** `lily artifacts lineage <sha>`: Mermaid for people; `--json` the DAG `{root, nodes, edges}`. */
export const artifactLineage = async (ctx: CliContext, ref: string): Promise<Outcome> => {
  const lineage = await ctx.client.artifacts.lineage(ref);
  return { data: lineage, human: () => lineageMermaid(lineage).trimEnd() };
};
