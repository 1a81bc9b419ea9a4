/**
 * Telling an event's type from its stored bytes without decoding it. A stored event is JSON (or,
 * written before decision 036, msgpack), where a type name (letters, dots and underscores) is its
 * UTF-8 bytes as they are: an event whose bytes
 * hold none of the wanted type names is of none of those types. Bytes that hold one may still be
 * of another type (the name can appear in its data), so a match is decoded and checked.
 */

const cache = new WeakMap<ReadonlySet<string>, readonly Buffer[]>();

/** The UTF-8 bytes of each type name, computed once per set. */
export const typeNeedles = (types: ReadonlySet<string>): readonly Buffer[] => {
  let needles = cache.get(types);
  if (!needles) {
    needles = [...types].map((t) => Buffer.from(t, 'utf8'));
    cache.set(types, needles);
  }
  return needles;
};

/** False only when `raw` cannot be the encoding of an event of one of these types. */
export const mayBeOfTypes = (raw: Uint8Array, needles: readonly Buffer[]): boolean => {
  const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  for (const needle of needles) if (bytes.indexOf(needle) >= 0) return true;
  return false;
};
