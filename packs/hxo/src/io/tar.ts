import { gzipSync } from 'node:zlib';

export interface TarEntry {
  /** POSIX path inside the archive. */
  name: string;
  data: Uint8Array;
}

const BLOCK = 512;
const MAX_OCTAL_11 = 0o77777777777;
const encoder = new TextEncoder();

const writeString = (h: Uint8Array, offset: number, length: number, value: string): void => {
  h.set(encoder.encode(value).subarray(0, length), offset);
};
const writeOctal = (h: Uint8Array, offset: number, length: number, value: number): void => {
  writeString(h, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
};

/** Splits a long path into ustar `prefix` (<= 155 bytes) and `name` (<= 100 bytes) at a slash. */
const splitName = (name: string): { prefix: string; name: string } | undefined => {
  if (encoder.encode(name).length <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (encoder.encode(prefix).length <= 155 && encoder.encode(rest).length <= 100)
      return { prefix, name: rest };
  }
  return undefined;
};

/**
 * One ustar header with everything that varies between machines fixed: mode 0644, uid/gid 0,
 * no user or group names, mtime 0.
 */
const header = (name: string, prefix: string, size: number, type: '0' | 'x'): Uint8Array => {
  if (size > MAX_OCTAL_11) throw new RangeError(`entry ${name} is larger than 8 GiB`);
  const h = new Uint8Array(BLOCK);
  writeString(h, 0, 100, name);
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, 0);
  h.fill(0x20, 148, 156);
  writeString(h, 156, 1, type);
  writeString(h, 257, 6, 'ustar\0');
  writeString(h, 263, 2, '00');
  writeString(h, 345, 155, prefix);
  const sum = h.reduce((n, b) => n + b, 0);
  writeString(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
};

/** A PAX record `"<len> path=<value>\n"`, whose length counts its own digits. */
const paxRecord = (key: string, value: string): Uint8Array => {
  const body = ` ${key}=${value}\n`;
  const bodyLength = encoder.encode(body).length;
  let length = bodyLength + 1;
  while (String(length).length + bodyLength !== length) length = String(length).length + bodyLength;
  return encoder.encode(`${length}${body}`);
};

const padding = (size: number): Uint8Array => new Uint8Array((BLOCK - (size % BLOCK)) % BLOCK);

/**
 * A reproducible tar (ustar, PAX `path` records for names too long for ustar): entries in
 * code-unit order of their names, fixed metadata, two zero blocks at the end. The same
 * entries always give the same bytes.
 */
export const tarBytes = (entries: readonly TarEntry[]): Buffer => {
  const parts: Uint8Array[] = [];
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of sorted) {
    const split = splitName(e.name);
    if (split) parts.push(header(split.name, split.prefix, e.data.length, '0'));
    else {
      const pax = paxRecord('path', e.name);
      parts.push(header('PaxHeaders/entry', '', pax.length, 'x'), pax, padding(pax.length));
      parts.push(header(e.name.slice(-100), '', e.data.length, '0'));
    }
    parts.push(e.data, padding(e.data.length));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return Buffer.concat(parts);
};

/** gzip with a fixed header: mtime 0 (as zlib writes it) and OS byte 255 (unknown) on every platform. */
export const gzipReproducible = (bytes: Uint8Array): Buffer => {
  const gz = gzipSync(bytes, { level: 9 });
  gz.fill(0, 4, 8);
  gz[9] = 0xff;
  return gz;
};
