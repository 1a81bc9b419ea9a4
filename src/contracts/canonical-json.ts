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
export const canonicalJson = (value: unknown): string => new CanonicalWriter().write(value);

/**
 * Writes into one string as it walks (no part arrays, joins or per-level template strings):
 * this runs for every sealed dispatch and every proven fact. `open` holds the objects being
 * written, for the cycle check (a path is short; its `includes` costs less than a Set's churn).
 */
/** `"key":` for keys seen before (the few hundred field names of Lily's messages), bounded. */
const QUOTED = new Map<string, string>();
const QUOTED_MAX = 2_048;
const quotedKey = (key: string): string => {
  let q = QUOTED.get(key);
  if (q === undefined) {
    q = `${JSON.stringify(key)}:`;
    if (QUOTED.size < QUOTED_MAX && key.length <= 64) QUOTED.set(key, q);
  }
  return q;
};

/**
 * The keys of `value` sorted by code unit, as `Object.keys(value).sort()` sorts them. Small key
 * lists (every object Lily canonicalizes) are sorted in place by insertion: no temporary array
 * (the builtin sort copies the list), and fewer comparisons when the keys are nearly in order.
 */
const INSERTION_MAX = 24;
const sortedKeys = (value: object): string[] => {
  const keys = Object.keys(value);
  if (keys.length > INSERTION_MAX) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
};

class CanonicalWriter {
  out = '';
  readonly open: object[] = [];

  write(value: unknown): string {
    this.value(value);
    return this.out;
  }

  value(value: unknown): void {
    if (value === null) {
      this.out += 'null';
      return;
    }
    switch (typeof value) {
      case 'string':
        this.out += JSON.stringify(value);
        return;
      case 'boolean':
        this.out += value ? 'true' : 'false';
        return;
      case 'number':
        if (!Number.isFinite(value)) throw refuse('non-finite number');
        this.out += value === 0 ? '0' : String(value);
        return;
      case 'object':
        this.object(value);
        return;
      default:
        throw refuse(typeof value);
    }
  }

  object(value: object): void {
    if (this.open.includes(value)) throw refuse('cycle');
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
      this.value((value as { toJSON: () => unknown }).toJSON());
      return;
    }
    this.open.push(value);
    if (Array.isArray(value)) {
      this.out += '[';
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.out += ',';
        const v: unknown = value[i];
        if (v === undefined) this.out += 'null';
        else this.value(v);
      }
      this.out += ']';
    } else {
      this.out += '{';
      const keys = sortedKeys(value);
      let first = true;
      for (const key of keys) {
        const v = (value as Record<string, unknown>)[key];
        if (v === undefined) continue;
        this.out += first ? quotedKey(key) : `,${quotedKey(key)}`;
        first = false;
        this.value(v);
      }
      this.out += '}';
    }
    this.open.pop();
  }
}

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
