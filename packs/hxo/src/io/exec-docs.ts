import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ExecutorFn, Json } from 'lily';
import { routeOf } from '../model/plan-files.js';
import { buildDocsIndex, type IndexedDoc } from './docs-search.js';
import { resolveShard } from './shards.js';

const FENCE = /^(```|~~~)/;

/** Title (first `#` heading, else the file name), the other headings, and the prose of a markdown doc. */
export const readMarkdown = (source: string, path: string): Omit<IndexedDoc, 'id' | 'route'> => {
  const headings: string[] = [];
  const text: string[] = [];
  let title: string | undefined;
  let inFence = false;
  for (const line of source.replace(/^---\n[\s\S]*?\n---\n/, '').split('\n')) {
    if (FENCE.test(line.trim())) inFence = !inFence;
    const heading = inFence ? undefined : line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/)?.[1];
    if (heading !== undefined) {
      if (title === undefined && line.startsWith('# ')) title = heading;
      else headings.push(heading);
    } else text.push(line);
  }
  return {
    title: title ?? posix.basename(path).replace(/\.[^.]+$/, ''),
    headings: headings.join('\n'),
    text: text.join('\n').replace(/[`*_>#|[\]()]/g, ' '),
  };
};

/**
 * `docs_index`: a MiniSearch full-text index of the shard's markdown docs (one top-level
 * route group), stored as a JSON artifact queryable with `searchDocsIndex`. Dry run: builds
 * the index and reports its size, stores nothing.
 */
export const docsIndex: ExecutorFn = async (ctx) => {
  const { shard, files } = await resolveShard(ctx);
  const route = String(shard.input.route);
  const docs: IndexedDoc[] = [];
  for (const f of files) {
    const source = await readFile(ctx.resolvePath(f.path), 'utf8');
    docs.push({ id: f.path, route: routeOf(f.path, f.root), ...readMarkdown(source, f.path) });
  }
  const { file, terms } = buildDocsIndex(route, docs);
  const base = { status: 'indexed', route, docs_indexed: docs.length, terms, dry_run: ctx.request.dryRun };
  if (ctx.request.dryRun) return { output: { ...base, index_sha256: null }, artifacts: [] };
  const ref = await ctx.artifacts.putJson(file as unknown as Json, {
    name: `hxo/docs/${shard.key}.index.json`,
    producer: 'executor/docs_index',
    runId: ctx.request.runId,
    stepId: ctx.request.stepId,
  });
  return { output: { ...base, index_sha256: ref.sha256 }, artifacts: [ref] };
};
