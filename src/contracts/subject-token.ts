import { LilyError } from './errors.js';

/**
 * Reversible encoding of any string into one NATS subject token. Letters, digits and `-`
 * pass through; every other UTF-16 code unit becomes `_` + 4 hex digits (so `.`, `*`, `>`,
 * whitespace and `_` itself never appear raw). The empty string becomes a lone `_`.
 * Working on code units (not code points) makes it total, lone surrogates included.
 */
const PLAIN = /^[A-Za-z0-9-]$/;
const ALL_PLAIN = /^[A-Za-z0-9-]+$/;

export const encodeSubjectToken = (value: string): string => {
  if (value.length === 0) return '_';
  // Ids (ULIDs, job ids) are usually plain already: one test instead of one per character.
  if (ALL_PLAIN.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    out += PLAIN.test(ch) ? ch : `_${value.charCodeAt(i).toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return out;
};

const ESCAPE = /_([0-9A-F]{4})/y;

export const decodeSubjectToken = (token: string): string => {
  if (token === '_') return '';
  let out = '';
  let i = 0;
  while (i < token.length) {
    const ch = token[i] as string;
    if (ch === '_') {
      ESCAPE.lastIndex = i;
      const m = ESCAPE.exec(token);
      if (!m) throw bad(token, i);
      out += String.fromCharCode(Number.parseInt(m[1] as string, 16));
      i += 5;
    } else if (PLAIN.test(ch)) {
      out += ch;
      i += 1;
    } else {
      throw bad(token, i);
    }
  }
  return out;
};

const bad = (token: string, at: number) =>
  new LilyError('id_invalid', `not an encoded subject token: ${JSON.stringify(token)}`, {
    kind: 'subject token',
    value: token,
    at,
  });
