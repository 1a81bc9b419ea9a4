import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LilyError } from '../contracts/errors.js';
import type { BlobStore } from './artifact-parts.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './private-files.js';

const unavailable = (what: string, e: unknown) =>
  new LilyError(
    'eventstore_unavailable',
    `artifact store: ${what}: ${(e as Error).message}`,
    {},
    { cause: e },
  );

/** `<dir>/artifacts/sha256/<ab>/<sha256>`: the path is a function of the hash alone. */
export const blobPath = (dir: string, sha256: string): string =>
  join(dir, 'artifacts', 'sha256', sha256.slice(0, 2), sha256);

const exists = async (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

const fsyncFile = async (path: string): Promise<void> => {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

/** Temp files older than this were left by a crash (other processes may be writing newer ones). */
const STALE_TEMP_MS = 60 * 60 * 1000;

const sweepStaleTemps = async (tmpDir: string): Promise<void> => {
  const now = Date.now();
  for (const name of await readdir(tmpDir)) {
    const path = join(tmpDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && now - info.mtimeMs > STALE_TEMP_MS) await rm(path, { force: true });
  }
};

/**
 * Blobs as files under `<dir>/artifacts/`. Every write goes to `artifacts/tmp/<random>`, is
 * fsynced, then renamed into place (rename is atomic on one filesystem), so a reader or a crash
 * sees the whole blob or none. Temp files a crash left behind (older than an hour) are swept on open.
 */
export const createFsBlobStore = async (dir: string): Promise<BlobStore> => {
  const tmpDir = join(dir, 'artifacts', 'tmp');
  const shaRoot = join(dir, 'artifacts', 'sha256');
  await mkdir(tmpDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  await sweepStaleTemps(tmpDir);
  await mkdir(shaRoot, { recursive: true, mode: PRIVATE_DIR_MODE });
  const tempPath = () => join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);

  const place = async (temp: string, sha256: string): Promise<void> => {
    await fsyncFile(temp);
    const target = blobPath(dir, sha256);
    await mkdir(join(shaRoot, sha256.slice(0, 2)), { recursive: true, mode: PRIVATE_DIR_MODE });
    await rename(temp, target);
  };

  return {
    has: (sha) => exists(blobPath(dir, sha)),
    async write(sha, bytes) {
      const temp = tempPath();
      try {
        const handle = await open(temp, 'wx', PRIVATE_FILE_MODE);
        try {
          await handle.writeFile(bytes);
        } finally {
          await handle.close();
        }
        await place(temp, sha);
      } catch (e) {
        await unlink(temp).catch(() => {});
        throw unavailable('write', e);
      }
    },
    async writeFile(sourcePath) {
      const temp = tempPath();
      const hash = createHash('sha256');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          size += chunk.byteLength;
          done(null, chunk);
        },
      });
      try {
        await pipeline(
          createReadStream(sourcePath),
          tap,
          createWriteStream(temp, { flags: 'wx', mode: PRIVATE_FILE_MODE }),
        );
        const sha256 = hash.digest('hex');
        await place(temp, sha256);
        return { sha256, size };
      } catch (e) {
        await unlink(temp).catch(() => {});
        throw unavailable(`putFile ${sourcePath}`, e);
      }
    },
    async read(sha) {
      return readFile(blobPath(dir, sha)).then(
        (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
        () => undefined,
      );
    },
    path: async (sha) => blobPath(dir, sha),
    async remove(sha) {
      return unlink(blobPath(dir, sha)).then(
        () => true,
        () => false,
      );
    },
    async list() {
      const out: string[] = [];
      for (const prefix of (await readdir(shaRoot)).sort()) {
        out.push(...(await readdir(join(shaRoot, prefix))).sort());
      }
      return out;
    },
    async close() {},
  };
};
