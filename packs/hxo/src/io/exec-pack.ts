import { readFile } from 'node:fs/promises';
import { type ExecutorFn, type JsonObject, sha256Hex } from 'lily';
import { resolveShard } from './shards.js';
import { gzipReproducible, tarBytes } from './tar.js';

const partitionIdOf = (input: JsonObject): number =>
  typeof input.partition_id === 'number' ? input.partition_id : 0;

/**
 * `pack_backend`: a reproducible tar.gz of the shard's files (sorted entries, fixed metadata),
 * stored as an artifact. Idempotent by construction: the same files give the same sha256. A dry
 * run builds the archive in memory and reports its hash without storing it.
 */
export const packBackend: ExecutorFn = async (ctx) => {
  const { shard, files } = await resolveShard(ctx);
  const entries = [];
  for (const f of files) {
    ctx.signal.throwIfAborted();
    entries.push({ name: f.path, data: await readFile(ctx.resolvePath(f.path)) });
  }
  const tar = tarBytes(entries);
  const gz = gzipReproducible(tar);
  const partitionId = partitionIdOf(shard.input);
  const output = {
    status: 'packed' as const,
    partition_id: partitionId,
    files_processed: files.length,
    sha256: sha256Hex(gz),
    tar_sha256: sha256Hex(tar),
    bytes: gz.length,
    dry_run: ctx.request.dryRun,
  };
  if (ctx.request.dryRun) return { output, artifacts: [] };
  const { runId, stepId } = ctx.request;
  const ref = await ctx.artifacts.putBytes(gz, {
    name: `hxo/pack/${shard.key}.tar.gz`,
    producer: 'executor/pack_backend',
    runId,
    stepId,
    mediaType: 'application/gzip',
  });
  return { output, artifacts: [ref] };
};
