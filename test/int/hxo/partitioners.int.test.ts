import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLilyError } from '../../../src/contracts/errors.js';
import { context, copyFixture, hxoCatalog, partitionerOf } from './harness.js';

let ws: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  ws = await copyFixture();
});
afterAll(() => ws.cleanup());

const partition = (name: string, w: Record<string, unknown>, rules?: { allow: string[]; deny: string[] }) =>
  partitionerOf(
    hxoCatalog(),
    name,
  )(context(ws.dir, { with: { stage_kind: 'test', ...w }, ...(rules ? { rules } : {}) }));

describe('HXO partitioners on the fixture workspace', () => {
  it('by_filesize: one partition for the small src tree, ranges over its sorted files', async () => {
    const shards = await partition('by_filesize', { roots: ['src'] });
    expect(shards).toHaveLength(1);
    expect(shards[0]?.input).toMatchObject({
      partition_id: 0,
      file_range_start: 0,
      file_range_end: 6,
      chunk_size_mb: 8,
    });
    const small = await partition('by_filesize', { roots: ['src'], chunk_size_bytes: 200 });
    expect(small.length).toBeGreaterThan(1);
    expect(small.at(-1)?.input).toMatchObject({ file_range_end: 6 });
  });

  it('by_module: package boundaries at the workspace root', async () => {
    const shards = await partition('by_module', { roots: ['.'] });
    expect(shards.map((s) => (s.input as { module: string }).module)).toEqual(['.', 'packages/ui']);
  });

  it('by_module: top-level folders under src', async () => {
    const shards = await partition('by_module', { roots: ['src'] });
    expect(shards.map((s) => [s.key, (s.input as { files: number }).files])).toEqual([
      ['0000-src', 1],
      ['0001-src_app', 2],
      ['0002-src_core', 3],
    ]);
  });

  it('by_sql_batch: sorted migrations in batches', async () => {
    const shards = await partition('by_sql_batch', { roots: ['migrations'], batch_size: 3 });
    expect(shards.map((s) => s.input)).toMatchObject([
      { batch_id: 0, offset: 0, limit: 3, stage_kind: 'test' },
      { batch_id: 1, offset: 3, limit: 1, stage_kind: 'test' },
    ]);
  });

  it('by_dag_depth: layers of the real import graph (type-only imports ignored, the app cycle one layer)', async () => {
    const shards = await partition('by_dag_depth', { roots: ['src', 'packages'] });
    expect(
      shards.map((s) => [(s.input as { module: string }).module, (s.input as { files: number }).files]),
    ).toEqual([
      ['depth-0', 3],
      ['depth-1', 2],
      ['depth-2', 2],
      ['depth-3', 1],
    ]);
  });

  it('by_asset_bucket: images, styles, scripts, fonts, other', async () => {
    const shards = await partition('by_asset_bucket', { roots: ['assets'] });
    expect(
      shards.map((s) => [(s.input as { bucket: string }).bucket, (s.input as { files: number }).files]),
    ).toEqual([
      ['images', 4],
      ['styles', 1],
      ['scripts', 1],
      ['fonts', 1],
      ['other', 1],
    ]);
  });

  it('by_route_map: docs grouped by top-level route', async () => {
    const shards = await partition('by_route_map', { roots: ['docs'] });
    expect(
      shards.map((s) => [(s.input as { route: string }).route, (s.input as { files: number }).files]),
    ).toEqual([
      ['/', 1],
      ['/api', 1],
      ['/guide', 3],
      ['/intro', 1],
    ]);
  });

  it('is deterministic: the same workspace gives the same shards', async () => {
    for (const name of ['by_filesize', 'by_module', 'by_dag_depth', 'by_asset_bucket', 'by_route_map']) {
      expect(await partition(name, { roots: ['.'] })).toEqual(await partition(name, { roots: ['.'] }));
    }
  });

  it('honours the workspace policy: denied files are left out, a denied root is refused', async () => {
    const shards = await partition(
      'by_route_map',
      { roots: ['docs'] },
      { allow: ['**'], deny: ['docs/api/**'] },
    );
    expect(shards.map((s) => (s.input as { route: string }).route)).not.toContain('/api');
    const refused = await partition(
      'by_route_map',
      { roots: ['docs'] },
      { allow: ['src/**'], deny: [] },
    ).catch((e) => e);
    expect(isLilyError(refused) && refused.code).toBe('job_policy_denied');
    const outside = await partition('by_filesize', { roots: ['../'] }).catch((e) => e);
    expect(isLilyError(outside) && outside.data).toMatchObject({ reason: 'path_outside_workspace' });
  });
});
