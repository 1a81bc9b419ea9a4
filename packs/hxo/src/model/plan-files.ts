import { BUCKET_ORDER, bucketOf } from './media-types.js';
import {
  extensionOf,
  fingerprint,
  groupBy,
  isInside,
  type ListedFile,
  type PlannedShard,
  type Planner,
  relativeTo,
  shardKey,
} from './plan-types.js';

const MIB = 1024 * 1024;

/**
 * by_filesize: contiguous ranges of the sorted listing, each at most the chunk size; a file
 * larger than the chunk gets a partition of its own. `file_range_end` is exclusive.
 */
export const planByFilesize: Planner = (files, config) => {
  const limit = config.chunk_size_bytes ?? config.chunk_size_mb * MIB;
  const chunkMb = Math.max(1, Math.ceil(limit / MIB));
  const shards: PlannedShard[] = [];
  const close = (start: number, end: number) => {
    const part = files.slice(start, end);
    const id = shards.length;
    shards.push({
      key: shardKey(id, `partition-${id}`),
      input: {
        partition_id: id,
        file_range_start: start,
        file_range_end: end,
        chunk_size_mb: chunkMb,
        stage_kind: config.stage_kind,
        bytes: part.reduce((n, f) => n + f.size, 0),
        files_sha256: fingerprint(part, true),
      },
      members: part.map((f) => f.path),
    });
  };
  let start = 0;
  let bytes = 0;
  files.forEach((f, i) => {
    if (i > start && bytes + f.size > limit) {
      close(start, i);
      start = i;
      bytes = 0;
    }
    bytes += f.size;
  });
  if (start < files.length) close(start, files.length);
  return shards;
};

const dirOf = (path: string): string => {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : path.slice(0, i);
};

/** The module a file belongs to: its deepest package folder under its root, else its root's top-level folder. */
const moduleResolver = (files: readonly ListedFile[]) => {
  const packages = files
    .filter((f) => f.path === 'package.json' || f.path.endsWith('/package.json'))
    .map((f) => ({ dir: dirOf(f.path), root: f.root }))
    .filter((p) => p.dir !== p.root)
    .sort((a, b) => b.dir.length - a.dir.length);
  return (f: ListedFile): string => {
    const pkg = packages.find((p) => p.root === f.root && isInside(f.path, p.dir));
    if (pkg) return pkg.dir;
    if (packages.some((p) => p.root === f.root)) return f.root;
    const rel = relativeTo(f.path, f.root);
    const slash = rel.indexOf('/');
    if (slash < 0) return f.root;
    const top = rel.slice(0, slash);
    return f.root === '.' ? top : `${f.root}/${top}`;
  };
};

/** by_module: package.json boundaries when a root holds packages, else the root's top-level folders. */
export const planByModule: Planner = (files, config) =>
  groupBy(files, moduleResolver(files)).map(([module, group], i) => ({
    key: shardKey(i, module),
    input: {
      module,
      stage_kind: config.stage_kind,
      partition_id: i,
      files: group.length,
      files_sha256: fingerprint(group),
    },
    members: group.map((f) => f.path),
  }));

/** by_sql_batch: the sorted `*.sql` files in batches of `batch_size`, applied in batch order. */
export const planBySqlBatch: Planner = (files, config) => {
  const sql = files.filter((f) => extensionOf(f.path) === '.sql');
  const shards: PlannedShard[] = [];
  for (let offset = 0; offset < sql.length; offset += config.batch_size) {
    const batch = sql.slice(offset, offset + config.batch_size);
    const id = shards.length;
    shards.push({
      key: shardKey(id, `batch-${id}`),
      input: {
        batch_id: id,
        offset,
        limit: batch.length,
        stage_kind: config.stage_kind,
        files_sha256: fingerprint(batch),
      },
      members: batch.map((f) => f.path),
    });
  }
  return shards;
};

/** by_asset_bucket: images, styles, scripts, fonts, media, other (empty buckets are left out). */
export const planByAssetBucket: Planner = (files, config) =>
  groupBy(files, (f) => bucketOf(f.path))
    .sort(([a], [b]) => BUCKET_ORDER.indexOf(a) - BUCKET_ORDER.indexOf(b))
    .map(([bucket, group], i) => ({
      key: shardKey(i, bucket),
      input: { bucket, stage_kind: config.stage_kind, files: group.length, files_sha256: fingerprint(group) },
      members: group.map((f) => f.path),
    }));

const MARKDOWN = new Set(['.md', '.mdx', '.markdown']);

/** `docs/a/b.md` under root `docs` -> `/a/b`; `index` and `README` name their folder's route. */
export const routeOf = (path: string, root: string): string => {
  const rel = relativeTo(path, root);
  const ext = extensionOf(rel);
  const segments = rel.slice(0, rel.length - ext.length).split('/');
  const last = segments[segments.length - 1]?.toLowerCase();
  if (last === 'index' || last === 'readme') segments.pop();
  return `/${segments.join('/')}`;
};

/** The top-level route a doc is grouped under: `/a/b` -> `/a`, `/` -> `/`. */
export const routeGroupOf = (route: string): string => `/${route.split('/')[1] ?? ''}`;

/** by_route_map: markdown docs mapped to routes, one shard per top-level route. */
export const planByRouteMap: Planner = (files, config) =>
  groupBy(
    files.filter((f) => MARKDOWN.has(extensionOf(f.path))),
    (f) => routeGroupOf(routeOf(f.path, f.root)),
  ).map(([route, group], i) => ({
    key: shardKey(i, route === '/' ? 'root' : route.slice(1)),
    input: { route, stage_kind: config.stage_kind, files: group.length, files_sha256: fingerprint(group) },
    members: group.map((f) => f.path),
  }));
