import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectInfo, ObjectStore } from '@nats-io/obj';
import { sha256Hex } from '../../contracts/canonical-json.js';
import { LilyError } from '../../contracts/errors.js';
import type { BlobStore } from '../artifact-parts.js';
import { jetstreamError, retryTransient } from './transient.js';

const SHA256 = /^[0-9a-f]{64}$/;

/** The object store's digest (`SHA-256=<base64url>`) of a hex sha256. */
export const objectDigestOf = (sha256: string): string =>
  `SHA-256=${Buffer.from(sha256, 'hex').toString('base64url')}=`;

const sameDigest = (info: Pick<ObjectInfo, 'digest'>, sha256: string): boolean =>
  info.digest.replace(/=+$/, '') === objectDigestOf(sha256).replace(/=+$/, '');

const corrupt = (sha256: string, why: string) =>
  new LilyError('artifact_corrupt', `blob ${sha256} in the object store: ${why}`, { sha256, why });

const hashFile = async (path: string): Promise<{ sha256: string; size: number }> => {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).byteLength;
  }
  return { sha256: hash.digest('hex'), size };
};

export interface ObjectBlobStoreOptions {
  /** How long an operation retries transient failures (a node failing over); default 30 s. */
  retryWithinMs?: number;
}

/**
 * Blobs in a JetStream object store, each named by its sha256 (the name is the content's hash,
 * never a label). A put is chunked by the client and ends with the object's metadata, whose
 * digest the server keeps: the object store's own SHA-256 must equal the name, or the put is
 * undone and refused (a file that changed while it was read). Reads check the bytes against the
 * name again (`artifact_corrupt` otherwise): a blob someone wrote under a wrong name is never
 * handed out. `path` copies a blob to a private temp directory (removed on `close`).
 *
 * Failure semantics: `bus_unavailable` for NATS failures (after retrying transient ones),
 * `artifact_corrupt` for content that does not match its name, `eventstore_unavailable` for a
 * local file that cannot be read.
 */
export const createObjectBlobStore = (os: ObjectStore, o: ObjectBlobStoreOptions = {}): BlobStore => {
  const retry = <T>(op: () => Promise<T>) => retryTransient(op, { withinMs: o.retryWithinMs ?? 30_000 });
  let cacheDir: string | undefined;
  const nats = async <T>(what: string, sha256: string, op: () => Promise<T>): Promise<T> => {
    try {
      return await retry(op);
    } catch (e) {
      throw e instanceof LilyError ? e : jetstreamError(e, `object store ${what}`, { sha256 });
    }
  };
  const info = (sha: string) => nats('info', sha, () => os.info(sha));
  /** Puts `source()` under `sha`; refuses (and removes) an object whose digest is not `sha`. */
  const put = async (sha: string, source: () => ReadableStream<Uint8Array>): Promise<void> => {
    const stored = await nats('put', sha, () => os.put({ name: sha }, source()));
    if (!sameDigest(stored, sha)) {
      await nats('delete', sha, () => os.delete(sha)).catch(() => undefined);
      throw corrupt(sha, 'the content changed while it was stored');
    }
  };
  const read = async (sha: string): Promise<Uint8Array | undefined> => {
    const bytes = await nats('get', sha, () => os.getBlob(sha));
    if (bytes === null) return undefined;
    if (sha256Hex(bytes) !== sha) throw corrupt(sha, 'its content does not hash to its name');
    return bytes;
  };
  return {
    async has(sha) {
      const found = await info(sha);
      return found !== null && !found.deleted;
    },
    async write(sha, bytes) {
      await put(sha, () => Readable.toWeb(Readable.from([Buffer.from(bytes)])) as ReadableStream<Uint8Array>);
    },
    async writeFile(sourcePath) {
      let hashed: { sha256: string; size: number };
      try {
        hashed = await hashFile(sourcePath);
      } catch (e) {
        throw new LilyError(
          'eventstore_unavailable',
          `artifact store: putFile ${sourcePath}: ${(e as Error).message}`,
          { path: sourcePath },
          { cause: e },
        );
      }
      const existing = await info(hashed.sha256);
      if (existing === null || existing.deleted) {
        await put(
          hashed.sha256,
          () => Readable.toWeb(createReadStream(sourcePath)) as unknown as ReadableStream<Uint8Array>,
        );
      }
      return hashed;
    },
    read,
    async path(sha) {
      const bytes = await read(sha);
      if (!bytes) throw new LilyError('artifact_not_found', `no artifact ${sha}`, { sha256: sha });
      cacheDir ??= await mkdtemp(join(tmpdir(), 'lily-object-blobs-'));
      const path = join(cacheDir, sha);
      await writeFile(path, bytes, { mode: 0o600 });
      return path;
    },
    async remove(sha) {
      const found = await info(sha);
      if (found === null || found.deleted) return false;
      await nats('delete', sha, () => os.delete(sha));
      return true;
    },
    async list() {
      const all = await nats('list', '', () => os.list());
      return all
        .filter((i) => !i.deleted && SHA256.test(i.name))
        .map((i) => i.name)
        .sort();
    },
    async close() {
      if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
    },
  };
};

/** Reads a blob the object store holds under `sha256`, checked against its name (the engine's import). */
export const readObjectBlob = (os: ObjectStore, sha256: string): Promise<Uint8Array | undefined> =>
  createObjectBlobStore(os).read(sha256);
