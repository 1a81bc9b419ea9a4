import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ExecutorFn, type Json, sha256Hex } from 'lily';
import { z } from 'zod';
import { imageSize } from '../model/image-size.js';
import { bucketOf, mediaTypeOf } from '../model/media-types.js';
import { extensionOf, type ListedFile, relativeTo } from '../model/plan-types.js';
import { executorBaseSchema } from '../model/schemas.js';
import { writeFileAtomic } from './atomic-write.js';
import { resolveShard } from './shards.js';
import { parseOr } from './step-errors.js';

export const assetsWithSchema = executorBaseSchema.extend({
  /** assets.stage: also copy every asset to its content-hashed name under `out_dir`. */
  stage: z.boolean().default(false),
  out_dir: z.string().min(1).default('.lily/hxo/staged'),
});

/** One asset of the index. */
export interface AssetEntry {
  path: string;
  sha256: string;
  size: number;
  media_type: string;
  width?: number;
  height?: number;
  /** `img/logo.png` -> `img/logo.3f2a9c1b0d4e.png` (relative to the out dir). */
  hashed_name: string;
}

const hashedName = (f: ListedFile, sha: string): string => {
  const rel = relativeTo(f.path, f.root) || f.path;
  const ext = extensionOf(rel);
  return `${rel.slice(0, rel.length - ext.length)}.${sha.slice(0, 12)}${ext}`;
};

const describe = async (path: string, f: ListedFile): Promise<AssetEntry> => {
  const bytes = await readFile(path);
  const sha256 = sha256Hex(bytes);
  const size = bucketOf(f.path) === 'images' ? imageSize(bytes) : undefined;
  return {
    path: f.path,
    sha256,
    size: bytes.length,
    media_type: mediaTypeOf(f.path),
    ...(size ?? {}),
    hashed_name: hashedName(f, sha256),
  };
};

/**
 * `index_assets`: sha256, size, media type and (for images) pixel dimensions of every asset
 * of the shard, stored as an index artifact and a manifest artifact (path -> hashed name).
 * With `stage: true` (assets.stage) it also copies each asset to its content-hashed name under
 * `out_dir` and writes `manifest.<bucket>.json` there. Dry run: computes, stores and copies nothing.
 */
export const indexAssets: ExecutorFn = async (ctx) => {
  const w = parseOr(assetsWithSchema, ctx.request.with, 'with for index_assets');
  const { shard, files } = await resolveShard(ctx);
  const bucket =
    typeof shard.input.bucket === 'string' ? shard.input.bucket : `partition-${shard.input.partition_id}`;
  const entries: AssetEntry[] = [];
  for (const f of files) {
    ctx.signal.throwIfAborted();
    entries.push(await describe(ctx.resolvePath(f.path), f));
  }
  const manifest = Object.fromEntries(entries.map((e) => [e.path, e.hashed_name]));
  const output = {
    status: w.stage ? 'staged' : 'indexed',
    bucket,
    assets_indexed: entries.length,
    dry_run: ctx.request.dryRun,
  };
  if (ctx.request.dryRun) return { output, artifacts: [] };
  if (w.stage) {
    for (const e of entries) {
      const target = ctx.resolvePath(`${w.out_dir}/${e.hashed_name}`);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(ctx.resolvePath(e.path), target);
    }
    await writeFileAtomic(
      ctx.resolvePath(`${w.out_dir}/manifest.${bucket}.json`),
      `${JSON.stringify(manifest, null, 2)}\n`,
    );
  }
  const provenance = {
    producer: 'executor/index_assets',
    runId: ctx.request.runId,
    stepId: ctx.request.stepId,
  };
  const index = await ctx.artifacts.putJson(
    { bucket, assets: entries as unknown as Json },
    { ...provenance, name: `hxo/assets/${shard.key}.index.json` },
  );
  const manifestRef = await ctx.artifacts.putJson(
    { bucket, files: manifest },
    { ...provenance, name: `hxo/assets/${shard.key}.manifest.json`, inputs: [index.sha256] },
  );
  return { output, artifacts: [index, manifestRef] };
};
