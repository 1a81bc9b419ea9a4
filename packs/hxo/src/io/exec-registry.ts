import { existsSync } from 'node:fs';
import { canonicalJson, type ExecutorFn, type Json } from 'lily';
import { z } from 'zod';
import { executorBaseSchema } from '../model/schemas.js';
import { scanModules } from './import-graph.js';
import { resolveShard } from './shards.js';
import { parseOr } from './step-errors.js';

export const registryWithSchema = executorBaseSchema.extend({
  registry_dir: z.string().min(1).default('.lily/hxo/registry'),
});

/** What the registry holds per module: its content hash and its imports, resolved. */
export interface RegistryEntry {
  sha256: string;
  imports: { specifier: string; resolved?: string; typeOnly: boolean; dynamic: boolean }[];
}

/** Opens the module registry (an LMDB environment: safe for several worker processes at once). */
export const openRegistry = async (dir: string) => {
  const { open } = await import('lmdb');
  return open<RegistryEntry, string>({ path: dir, compression: false });
};

/**
 * `warm_registry`: records every module of the shard (content sha256 and resolved imports) in
 * the LMDB registry under `registry_dir`; a module whose entry is unchanged is skipped, so a
 * second run over the same sources writes nothing. Stores the shard's entries as a JSON
 * artifact. Dry run: reports what would be written, writes nothing.
 */
export const warmRegistry: ExecutorFn = async (ctx) => {
  const w = parseOr(registryWithSchema, ctx.request.with, 'with for warm_registry');
  const { shard, files, plan } = await resolveShard(ctx);
  const modules = await scanModules(ctx, files, plan.files);
  const dir = ctx.resolvePath(w.registry_dir);
  const entries: Record<string, RegistryEntry> = Object.fromEntries(
    modules.map((m) => [m.path, { sha256: m.sha256, imports: m.imports }]),
  );
  // A dry run never creates the registry: one that does not exist yet holds nothing.
  const db = ctx.request.dryRun && !existsSync(dir) ? undefined : await openRegistry(dir);
  let written = 0;
  try {
    for (const [path, entry] of Object.entries(entries)) {
      const current = db?.get(path);
      if (current !== undefined && canonicalJson(current) === canonicalJson(entry)) continue;
      written++;
      if (!ctx.request.dryRun) await db?.put(path, entry);
    }
    await db?.flushed;
  } finally {
    await db?.close();
  }
  const module = String(shard.input.module);
  const output = {
    status: 'warmed',
    module,
    cache_entries: modules.length,
    written,
    dry_run: ctx.request.dryRun,
  };
  if (ctx.request.dryRun) return { output, artifacts: [] };
  const ref = await ctx.artifacts.putJson(
    { module, entries: entries as unknown as Json },
    {
      name: `hxo/registry/${shard.key}.json`,
      producer: 'executor/warm_registry',
      runId: ctx.request.runId,
      stepId: ctx.request.stepId,
    },
  );
  return { output, artifacts: [ref] };
};
