import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { LilyError } from '../contracts/errors.js';

/**
 * LMDB maps `data.mdb` into memory; a page beyond the end of a truncated file is a SIGBUS that
 * kills the process with no output. So before anything maps the file, its two meta pages are
 * read with plain `read(2)` and checked: the magic, the page size, and that the file holds every
 * page the newest meta page says was written (`mm_last_pg`). LMDB writes data pages before the
 * meta page that makes them live, so a healthy file always passes, even while another process
 * commits.
 *
 * Layout (lmdb-js's LMDB, 64-bit): a 24-byte page header, then `MDB_meta`: magic u32 at +0,
 * version u32 at +4, address u64, mapsize u64, two 48-byte `MDB_db` records (the first one's
 * `md_pad` holds the page size), `mm_last_pg` u64 at +120, `mm_txnid` u64 at +128.
 */
const PAGE_HEADER = 24;
const MAGIC = 0xbeefc0de;
const META = { magic: 0, version: 4, pageSize: 24, lastPage: 120, txnId: 128 } as const;
const META_BYTES = META.txnId + 8;

interface MetaPage {
  pageSize: number;
  lastPage: number;
  txnId: number;
}

const readMeta = (fd: number, offset: number): MetaPage | undefined => {
  const buf = Buffer.alloc(PAGE_HEADER + META_BYTES);
  if (readSync(fd, buf, 0, buf.length, offset) < buf.length) return undefined;
  const at = (field: number) => PAGE_HEADER + field;
  if (buf.readUInt32LE(at(META.magic)) !== MAGIC) return undefined;
  return {
    pageSize: buf.readUInt32LE(at(META.pageSize)),
    lastPage: Number(buf.readBigUInt64LE(at(META.lastPage))),
    txnId: Number(buf.readBigUInt64LE(at(META.txnId))),
  };
};

const corrupt = (file: string, reason: string, data: Record<string, unknown> = {}): LilyError =>
  new LilyError('eventstore_corrupt', `the event store at ${file} is damaged: ${reason}`, {
    file,
    reason,
    ...data,
  });

const validPageSize = (n: number): boolean => n >= 512 && n <= 65_536 && (n & (n - 1)) === 0;

/** What one look at the file found: nothing wrong, or why it is damaged. */
const inspect = (fd: number, file: string): LilyError | undefined => {
  const size = fstatSync(fd).size;
  if (size === 0) return undefined;
  const first = readMeta(fd, 0);
  if (!first || !validPageSize(first.pageSize)) return corrupt(file, 'no valid LMDB meta page', { size });
  const second = readMeta(fd, first.pageSize);
  const metas = second && second.pageSize === first.pageSize ? [first, second] : [first];
  const newest = metas.reduce((a, b) => (b.txnId > a.txnId ? b : a));
  const expected = (newest.lastPage + 1) * newest.pageSize;
  if (size >= expected) return undefined;
  return corrupt(file, `the file is truncated (${size} bytes, the log needs ${expected})`, {
    size,
    expected,
  });
};

/** Looks this many times, this far apart, before calling a file damaged (a commit may be under way). */
const LOOKS = 10;
const LOOK_INTERVAL_MS = 100;
const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * Checks `<dir>/data.mdb` before it is opened. A missing or empty file passes (LMDB creates
 * it). Throws `eventstore_corrupt` `{file, reason, size?, expected?}` for a file that is not an
 * LMDB environment or is shorter than its newest meta page says. A file another process is
 * committing to can be caught between two writes, so the damage must still be there after
 * about a second of looking again; a damaged file stays damaged.
 */
export const checkLmdbFile = (dir: string): void => {
  const file = join(dir, 'data.mdb');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return;
    throw new LilyError('eventstore_unavailable', `cannot read ${file}`, { file }, { cause: e });
  }
  try {
    let damage = inspect(fd, file);
    for (let look = 1; damage && look < LOOKS; look += 1) {
      pause(LOOK_INTERVAL_MS);
      damage = inspect(fd, file);
    }
    if (damage) throw damage;
  } finally {
    closeSync(fd);
  }
};

/**
 * Wraps a read of stored data: a value LMDB cannot decode (flipped bytes, a torn page) becomes
 * `eventstore_corrupt` naming what was read, never the raw bytes or a decoder's internal error.
 */
export const readOrCorrupt = <T>(file: string, what: string, read: () => T): T => {
  try {
    return read();
  } catch (e) {
    if (e instanceof LilyError) throw e;
    throw new LilyError(
      'eventstore_corrupt',
      `the event store at ${file} is damaged: ${what} cannot be decoded`,
      { file, reason: `${what} cannot be decoded` },
      { cause: e },
    );
  }
};
