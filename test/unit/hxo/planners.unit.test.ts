import { describe, expect, it } from 'vitest';
import { dependencyDepths, planByDagDepth } from '../../../packs/hxo/src/model/plan-dag.js';
import {
  planByAssetBucket,
  planByFilesize,
  planByModule,
  planByRouteMap,
  planBySqlBatch,
  routeOf,
} from '../../../packs/hxo/src/model/plan-files.js';
import type { ListedFile } from '../../../packs/hxo/src/model/plan-types.js';
import { partitionConfigSchema } from '../../../packs/hxo/src/model/schemas.js';

const files = (root: string, entries: [string, number][]): ListedFile[] =>
  entries.map(([path, size]) => ({ path, size, root })).sort((a, b) => (a.path < b.path ? -1 : 1));
const config = (over: Record<string, unknown> = {}) =>
  partitionConfigSchema.parse({ stage_kind: 'k', ...over });

describe('by_filesize', () => {
  it('packs contiguous ranges up to the chunk size; an oversized file stands alone', () => {
    const listing = files('.', [
      ['a', 40],
      ['b', 50],
      ['c', 20],
      ['d', 300],
      ['e', 10],
      ['f', 100],
    ]);
    const shards = planByFilesize(listing, config({ chunk_size_bytes: 100 }));
    expect(shards.map((s) => [s.input.file_range_start, s.input.file_range_end, s.input.bytes])).toEqual([
      [0, 2, 90],
      [2, 3, 20],
      [3, 4, 300],
      [4, 5, 10],
      [5, 6, 100],
    ]);
    expect(shards.map((s) => s.key)).toEqual([
      '0000-partition-0',
      '0001-partition-1',
      '0002-partition-2',
      '0003-partition-3',
      '0004-partition-4',
    ]);
    expect(shards[0]?.input).toMatchObject({ partition_id: 0, chunk_size_mb: 1, stage_kind: 'k' });
  });

  it('an empty listing plans no shard', () => {
    expect(planByFilesize([], config())).toEqual([]);
  });
});

describe('by_module', () => {
  it('uses package.json boundaries when the root holds packages', () => {
    const listing = files('.', [
      ['package.json', 1],
      ['README.md', 1],
      ['packages/a/package.json', 1],
      ['packages/a/src/x.ts', 1],
      ['packages/a/nested/package.json', 1],
      ['packages/a/nested/y.ts', 1],
      ['tools/z.ts', 1],
    ]);
    const shards = planByModule(listing, config());
    expect(shards.map((s) => [s.input.module, s.members])).toEqual([
      ['.', ['README.md', 'package.json', 'tools/z.ts']],
      ['packages/a', ['packages/a/package.json', 'packages/a/src/x.ts']],
      ['packages/a/nested', ['packages/a/nested/package.json', 'packages/a/nested/y.ts']],
    ]);
  });

  it("uses the root's top-level folders when there is no package", () => {
    const listing = files('src', [
      ['src/index.ts', 1],
      ['src/a/x.ts', 1],
      ['src/a/deep/y.ts', 1],
      ['src/b/z.ts', 1],
    ]);
    expect(planByModule(listing, config()).map((s) => [s.input.module, s.members.length])).toEqual([
      ['src', 1],
      ['src/a', 2],
      ['src/b', 1],
    ]);
  });
});

describe('by_sql_batch', () => {
  it('splits sorted *.sql files into batches with offsets and limits', () => {
    const listing = files('m', [
      ['m/001.sql', 1],
      ['m/002.sql', 1],
      ['m/003.sql', 1],
      ['m/notes.txt', 1],
    ]);
    const shards = planBySqlBatch(listing, config({ batch_size: 2, stage_kind: 'deploy.migrate' }));
    expect(shards.map((s) => s.input)).toMatchObject([
      { batch_id: 0, offset: 0, limit: 2, stage_kind: 'deploy.migrate' },
      { batch_id: 1, offset: 2, limit: 1, stage_kind: 'deploy.migrate' },
    ]);
    expect(shards.flatMap((s) => s.members)).toEqual(['m/001.sql', 'm/002.sql', 'm/003.sql']);
  });
});

describe('by_asset_bucket', () => {
  it('groups by extension in bucket order, leaving out empty buckets', () => {
    const listing = files('.', [
      ['a.css', 1],
      ['b.PNG', 1],
      ['c.woff2', 1],
      ['d.bin', 1],
      ['e.svg', 1],
    ]);
    expect(planByAssetBucket(listing, config()).map((s) => [s.input.bucket, s.members])).toEqual([
      ['images', ['b.PNG', 'e.svg']],
      ['styles', ['a.css']],
      ['fonts', ['c.woff2']],
      ['other', ['d.bin']],
    ]);
  });
});

describe('by_route_map', () => {
  it('maps docs to routes and groups them by top-level route', () => {
    expect(routeOf('docs/a/b.md', 'docs')).toBe('/a/b');
    expect(routeOf('docs/a/index.md', 'docs')).toBe('/a');
    expect(routeOf('docs/README.md', 'docs')).toBe('/');
    const listing = files('docs', [
      ['docs/README.md', 1],
      ['docs/intro.md', 1],
      ['docs/guide/index.md', 1],
      ['docs/guide/x/y.mdx', 1],
      ['docs/guide/img.png', 1],
    ]);
    expect(planByRouteMap(listing, config()).map((s) => [s.input.route, s.members])).toEqual([
      ['/', ['docs/README.md']],
      ['/guide', ['docs/guide/index.md', 'docs/guide/x/y.mdx']],
      ['/intro', ['docs/intro.md']],
    ]);
  });
});

describe('by_dag_depth', () => {
  it('layers modules by dependency depth; an import cycle shares one depth', () => {
    const deps = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', []],
      ['x', ['y']],
      ['y', ['x', 'c']],
      ['z', ['x', 'a']],
    ]);
    const depths = dependencyDepths(['a', 'b', 'c', 'x', 'y', 'z'], deps);
    expect(Object.fromEntries(depths)).toEqual({ c: 0, b: 1, a: 2, x: 1, y: 1, z: 3 });
  });

  it('plans one shard per layer over the scripts of the listing', () => {
    const listing = files('.', [
      ['a.ts', 1],
      ['b.ts', 1],
      ['types.d.ts', 1],
      ['readme.md', 1],
    ]);
    const shards = planByDagDepth(listing, config(), new Map([['a.ts', ['b.ts', 'elsewhere.ts']]]));
    expect(shards.map((s) => [s.input.module, s.input.depth, s.members])).toEqual([
      ['depth-0', 0, ['b.ts']],
      ['depth-1', 1, ['a.ts']],
    ]);
  });
});
