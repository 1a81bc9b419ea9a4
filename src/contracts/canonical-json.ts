import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { LilyError } from './errors.js';

/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` properties
 * dropped (as JSON.stringify does), -0 written as 0. Non-finite numbers, bigints, functions
 * and cycles are refused, so equal values always give equal bytes. Use it wherever a hash or a
 * comparison must not depend on key order (plan hashes, artifact identity, dedupe keys).
 *
 * @throws LilyError `internal_error` `{what}` for a non-finite number, a bigint, a function, a
 * symbol or a cycle.
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export const canonicalJson = (value: unknown): string => write(value, new Set());

const write = (value: unknown, seen: Set<object>): string => {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw refuse('non-finite number');
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'object':
      return writeObject(value, seen);
    default:
      throw refuse(typeof value);
  }
};

const writeObject = (value: object, seen: Set<object>): string => {
  if (seen.has(value)) throw refuse('cycle');
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return write((value as { toJSON: () => unknown }).toJSON(), seen);
  }
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((v) => (v === undefined ? 'null' : write(v, seen))).join(',')}]`;
    }
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${write(v, seen)}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(value);
  }
};

const refuse = (what: string) =>
  new LilyError('internal_error', `canonical JSON cannot encode a ${what}`, { what });

/**
 * sha256 as 64 lowercase hex characters, of a string (as UTF-8) or of bytes. Never throws.
 *
 * @example
 * sha256Hex('abc'); // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export const sha256Hex = (text: string | Uint8Array): string =>
  bytesToHex(sha256(typeof text === 'string' ? utf8ToBytes(text) : text));

/**
 * sha256 of the canonical JSON of a value: the identity of plans, inputs and JSON artifacts
 * (a run's plan hash is `hashJson(plan)`).
 *
 * @throws LilyError `internal_error` for what `canonicalJson` refuses.
 * @example
 * hashJson({ a: 1, b: 2 }) === hashJson({ b: 2, a: 1 }); // true
 */
export const hashJson = (value: unknown): string => sha256Hex(canonicalJson(value));
