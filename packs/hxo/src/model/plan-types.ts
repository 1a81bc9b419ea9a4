import { type JsonObject, sha256Hex } from 'lily';
import type { PartitionConfig } from './schemas.js';

/** One file of a listing: a workspace-relative POSIX path, its size, and the root it was found under. */
export interface ListedFile {
  path: string;
  size: number;
  /** The normalized root (`.` for the workspace) that yielded the file first. */
  root: string;
}

/** A shard as planned: the key and input recorded in `partition.planned`, and the files it covers. */
export interface PlannedShard {
  key: string;
  input: JsonObject;
  members: string[];
}

/** A pure planner: the same listing and config always give the same shards. */
export type Planner = (files: readonly ListedFile[], config: PartitionConfig) => PlannedShard[];

/** sha256 of the members (and, for size-based plans, their sizes), one per line. */
export const fingerprint = (files: readonly ListedFile[], withSizes = false): string =>
  sha256Hex(files.map((f) => (withSizes ? `${f.path}\t${f.size}` : f.path)).join('\n'));

/** Shard keys: ordered, unique and subject-safe (`0003-src_actors`). */
export const shardKey = (index: number, label: string): string =>
  `${String(index).padStart(4, '0')}-${label.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'root'}`;

/** `a/b.TS` -> `.ts`; '' when there is no extension. */
export const extensionOf = (path: string): string => {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
};

/** Whether `path` lies inside the folder `dir` (`.` holds everything). */
export const isInside = (path: string, dir: string): boolean => dir === '.' || path.startsWith(`${dir}/`);

/** `path` relative to `dir` (which must contain it). */
export const relativeTo = (path: string, dir: string): string =>
  dir === '.' ? path : path === dir ? '' : path.slice(dir.length + 1);

/** Groups files by a label, keeping the labels in sorted order and each group in listing order. */
export const groupBy = (files: readonly ListedFile[], label: (f: ListedFile) => string) => {
  const groups = new Map<string, ListedFile[]>();
  for (const f of files) {
    const l = label(f);
    const g = groups.get(l);
    if (g) g.push(f);
    else groups.set(l, [f]);
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
};
