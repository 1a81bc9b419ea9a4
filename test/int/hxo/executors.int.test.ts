import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { searchDocsIndex } from '@lily/hxo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLilyError } from '../../../src/contracts/errors.js';
import { createInMemoryArtifactStore } from '../../../src/eventstore/in-memory-artifact-store.js';
import { context, copyFixture, executorOf, hxoCatalog, partitionerOf, runStage } from './harness.js';

let ws: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  ws = await copyFixture();
});
afterAll(() => ws.cleanup());

/** Entry names of a tar, read from its ustar headers. */
const tarNames = (tar: Buffer): string[] => {
  const names: string[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const text = (from: number, n: number) =>
      header
        .subarray(from, from + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(text(124, 12), 8);
    const prefix = text(345, 155);
    names.push(prefix ? `${prefix}/${text(0, 100)}` : text(0, 100));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
};

describe('pack_backend', () => {
  it('packs each partition into a reproducible tar.gz: twice, the same sha256', async () => {
    const bindings = { roots: ['src', 'packages'], chunk_size_bytes: 300 };
    const first = await runStage(ws.dir, 'hxo.deploy-pack.v1', bindings);
    const second = await runStage(ws.dir, 'hxo.deploy-pack.v1', bindings);
    expect(first.shards.length).toBeGreaterThan(1);
    expect(second.outputs.map((o) => o.sha256)).toEqual(first.outputs.map((o) => o.sha256));
    const total = first.outputs.reduce((n, o) => n + Number(o.files_processed), 0);
    expect(total).toBe(9);
    const stored = await first.artifacts.get(String(first.outputs[0]?.sha256));
    const names = tarNames(gunzipSync(stored?.bytes as Uint8Array));
    expect(names.length).toBe(first.outputs[0]?.files_processed);
    expect([...names].sort()).toEqual(names);
  });

  it('by_module shards pack per module; a dry run stores nothing but reports the same hash', async () => {
    const real = await runStage(ws.dir, 'hxo.deploy-pack.v1', { partitioner: 'by_module', roots: ['src'] });
    const dry = await runStage(
      ws.dir,
      'hxo.deploy-pack.v1',
      { partitioner: 'by_module', roots: ['src'] },
      { dryRun: true },
    );
    expect(dry.outputs.map((o) => o.sha256)).toEqual(real.outputs.map((o) => o.sha256));
    expect(dry.outputs.every((o) => o.dry_run === true)).toBe(true);
    expect(await dry.artifacts.list()).toEqual([]);
    expect((await real.artifacts.list()).length).toBe(3);
  });

  it('refuses a shard whose files changed since the partition was planned (workspace_changed)', async () => {
    const c = hxoCatalog();
    const w = { roots: ['docs'], stage_kind: 'deploy.pack' };
    const [shard] = await partitionerOf(c, 'by_filesize')(context(ws.dir, { with: w }));
    await writeFile(join(ws.dir, 'docs', 'new.md'), '# New\n');
    try {
      const e = await executorOf(
        c,
        'pack_backend',
      )(context(ws.dir, { with: { ...w, partitioner: 'by_filesize' }, input: shard?.input ?? null })).catch(
        (x) => x,
      );
      expect(isLilyError(e) && e.data).toMatchObject({ reason: 'workspace_changed' });
      expect((e as { retryable: boolean }).retryable).toBe(false);
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(join(ws.dir, 'docs', 'new.md')));
    }
  });
});

describe('warm_registry and prime_caches', () => {
  it('warm_registry records modules once; a second run over unchanged sources writes nothing', async () => {
    const bindings = { executor: 'warm_registry', roots: ['src'] };
    const dry = await runStage(ws.dir, 'hxo.deploy-prime.v1', bindings, { dryRun: true });
    expect(dry.outputs.reduce((n, o) => n + Number(o.written), 0)).toBe(6);
    expect(existsSync(join(ws.dir, '.lily', 'hxo', 'registry'))).toBe(false);
    const first = await runStage(ws.dir, 'hxo.deploy-prime.v1', bindings);
    expect(first.outputs.reduce((n, o) => n + Number(o.written), 0)).toBe(6);
    expect(first.outputs.every((o) => o.status === 'warmed')).toBe(true);
    const second = await runStage(ws.dir, 'hxo.deploy-prime.v1', bindings);
    expect(second.outputs.map((o) => o.written)).toEqual(second.outputs.map(() => 0));
    expect(second.outputs.reduce((n, o) => n + Number(o.cache_entries), 0)).toBe(6);
    const art = (await first.artifacts.list()).find((a) => a.name.includes('depth-1'));
    const entries = JSON.parse(
      Buffer.from((await first.artifacts.get(art?.sha256 as string))?.bytes as Uint8Array).toString(),
    );
    expect(entries.entries['src/core/math.ts'].imports).toEqual([
      { specifier: './types.js', resolved: 'src/core/types.ts', typeOnly: true, dynamic: false },
      { specifier: './util.js', resolved: 'src/core/util.ts', typeOnly: false, dynamic: false },
    ]);
  });

  it('prime_caches transpiles into a content-addressed cache, reused on the next run; dry run writes nothing', async () => {
    const bindings = {
      executor: 'prime_caches',
      partitioner: 'by_module',
      roots: ['src', 'packages'],
      cache_dir: 'cache',
    };
    const dry = await runStage(ws.dir, 'hxo.deploy-prime.v1', bindings, { dryRun: true });
    expect(dry.outputs.reduce((n, o) => n + Number(o.written), 0)).toBe(8);
    expect(existsSync(join(ws.dir, 'cache'))).toBe(false);
    const first = await runStage(ws.dir, 'hxo.deploy-prime.v1', bindings);
    expect(first.outputs.reduce((n, o) => n + Number(o.written), 0)).toBe(8);
    const buckets = await readdir(join(ws.dir, 'cache'));
    const cached = (await Promise.all(buckets.map((b) => readdir(join(ws.dir, 'cache', b))))).flat();
    expect(cached).toHaveLength(8);
    const second = await runStage(ws.dir, 'hxo.deploy-prime.v1', bindings);
    expect(second.outputs.reduce((n, o) => n + Number(o.written), 0)).toBe(0);
    const ui = (await first.artifacts.list()).find((a) => a.name.includes('packages_ui'));
    const manifest = JSON.parse(
      Buffer.from((await first.artifacts.get(ui?.sha256 as string))?.bytes as Uint8Array).toString(),
    );
    const button = Object.entries(manifest.entries).find(([path]) => path.endsWith('button.jsx'));
    const key = String(button?.[1]);
    const js = await readFile(join(ws.dir, 'cache', key.slice(0, 2), `${key}.js`), 'utf8');
    expect(js).toContain('React.createElement');
  });
});

describe('index_assets', () => {
  it('indexes sha256, size, media type and image dimensions per bucket', async () => {
    const run = await runStage(ws.dir, 'hxo.assets-index.v1', { roots: ['assets'] });
    expect(run.outputs.map((o) => [o.bucket, o.assets_indexed, o.status])).toEqual([
      ['images', 4, 'indexed'],
      ['styles', 1, 'indexed'],
      ['scripts', 1, 'indexed'],
      ['fonts', 1, 'indexed'],
      ['other', 1, 'indexed'],
    ]);
    const index = (await run.artifacts.list()).find((a) => a.name.endsWith('images.index.json'));
    const assets = JSON.parse(
      Buffer.from((await run.artifacts.get(index?.sha256 as string))?.bytes as Uint8Array).toString(),
    ).assets;
    expect(assets.map((a: Record<string, unknown>) => [a.path, a.media_type, a.width, a.height])).toEqual([
      ['assets/img/dot.gif', 'image/gif', 2, 7],
      ['assets/img/icon.svg', 'image/svg+xml', 16, 12],
      ['assets/img/logo.png', 'image/png', 3, 2],
      ['assets/img/photo.jpg', 'image/jpeg', 5, 4],
    ]);
    expect(assets[2].hashed_name).toMatch(/^img\/logo\.[0-9a-f]{12}\.png$/);
  });

  it('assets.stage copies assets to content-hashed names; the dry run copies nothing', async () => {
    const dry = await runStage(
      ws.dir,
      'hxo.assets-stage.v1',
      { roots: ['assets'], out_dir: 'public' },
      { dryRun: true },
    );
    expect(dry.outputs.every((o) => o.status === 'staged')).toBe(true);
    expect(existsSync(join(ws.dir, 'public'))).toBe(false);
    await runStage(ws.dir, 'hxo.assets-stage.v1', { roots: ['assets'], out_dir: 'public' });
    const manifest = JSON.parse(await readFile(join(ws.dir, 'public', 'manifest.images.json'), 'utf8'));
    const staged = await readFile(join(ws.dir, 'public', manifest['assets/img/logo.png']));
    expect(staged.equals(await readFile(join(ws.dir, 'assets/img/logo.png')))).toBe(true);
  });
});

describe('docs_index', () => {
  it('builds one queryable MiniSearch index per route group', async () => {
    const artifacts = createInMemoryArtifactStore();
    const run = await runStage(ws.dir, 'hxo.docs-index.v2', { roots: ['docs'] }, { artifacts });
    expect(run.outputs.map((o) => [o.route, o.docs_indexed])).toEqual([
      ['/', 1],
      ['/api', 1],
      ['/guide', 3],
      ['/intro', 1],
    ]);
    const guide = run.outputs.find((o) => o.route === '/guide');
    const json = Buffer.from(
      (await artifacts.get(String(guide?.index_sha256)))?.bytes as Uint8Array,
    ).toString();
    const hits = searchDocsIndex(json, 'backoff');
    expect(hits[0]).toMatchObject({
      id: 'docs/guide/retries.md',
      route: '/guide/retries',
      title: 'Retries and backoff',
    });
    expect(searchDocsIndex(json, 'transaction')[0]?.route).toBe('/guide/advanced/migrations');
    expect(() => searchDocsIndex('{}', 'x')).toThrow(/not an hxo docs index/);
  });

  it('the deprecated v1 blueprint still runs and its results match the v1 schema', async () => {
    const run = await runStage(ws.dir, 'hxo.docs-index.v1', { roots: ['docs'] }, { dryRun: true });
    expect(run.outputs.map((o) => o.index_sha256)).toEqual([null, null, null, null]);
  });
});
