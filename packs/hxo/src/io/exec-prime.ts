import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExecutorFn, hashJson, sha256Hex } from 'lily';
import { z } from 'zod';
import { isScript } from '../model/plan-dag.js';
import { extensionOf } from '../model/plan-types.js';
import { executorBaseSchema } from '../model/schemas.js';
import { writeFileAtomic } from './atomic-write.js';
import { resolveShard } from './shards.js';
import { parseOr, terminal } from './step-errors.js';

export const primeWithSchema = executorBaseSchema.extend({
  cache_dir: z.string().min(1).default('.lily/hxo/cache'),
  target: z.string().min(1).default('es2022'),
});

const LOADER: Record<string, 'js' | 'jsx' | 'ts' | 'tsx'> = {
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
};

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * `prime_caches`: transpiles every JS/TS module of the shard with esbuild into a
 * content-addressed cache (`<cache_dir>/<ab>/<key>.js`, key = sha256 of the source hash, loader,
 * target and esbuild version), so a module already primed is reused, never rewritten. Stores a
 * manifest (module -> cache key) as a JSON artifact. Dry run: transpiles, writes nothing.
 */
export const primeCaches: ExecutorFn = async (ctx) => {
  const w = parseOr(primeWithSchema, ctx.request.with, 'with for prime_caches');
  const { shard, files } = await resolveShard(ctx);
  const esbuild = await import('esbuild');
  const cacheDir = ctx.resolvePath(w.cache_dir);
  const manifest: Record<string, string> = {};
  let written = 0;
  for (const f of files.filter((x) => isScript(x.path))) {
    ctx.signal.throwIfAborted();
    const source = await readFile(ctx.resolvePath(f.path));
    const loader = LOADER[extensionOf(f.path)] ?? 'js';
    const key = hashJson({
      v: 1,
      esbuild: esbuild.version,
      loader,
      target: w.target,
      source: sha256Hex(source),
    });
    manifest[f.path] = key;
    const target = join(cacheDir, key.slice(0, 2), `${key}.js`);
    if (await exists(target)) continue;
    let code: string;
    try {
      ({ code } = await esbuild.transform(source.toString('utf8'), {
        loader,
        format: 'esm',
        target: w.target,
        sourcefile: f.path,
      }));
    } catch (e) {
      throw terminal(
        'transform_failed',
        `esbuild cannot transpile ${f.path}: ${(e as Error).message}`,
        { file: f.path },
        e,
      );
    }
    written++;
    if (!ctx.request.dryRun) await writeFileAtomic(target, code);
  }
  const module = String(shard.input.module);
  const output = {
    status: 'primed',
    module,
    cache_entries: Object.keys(manifest).length,
    written,
    dry_run: ctx.request.dryRun,
  };
  if (ctx.request.dryRun) return { output, artifacts: [] };
  const ref = await ctx.artifacts.putJson(
    { module, esbuild: esbuild.version, target: w.target, entries: manifest },
    {
      name: `hxo/prime/${shard.key}.json`,
      producer: 'executor/prime_caches',
      runId: ctx.request.runId,
      stepId: ctx.request.stepId,
    },
  );
  return { output, artifacts: [ref] };
};
