const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** A sortable note id: the creation time in base 32, then a counter within the millisecond. */
export const noteId = (createdAtMs: number, counter: number): string => {
  let n = Math.floor(createdAtMs);
  let out = '';
  do {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  } while (n > 0);
  return `n_${out}${counter.toString(32).padStart(2, '0')}`;
};

export const isNoteId = (value: string): boolean => /^n_[0-9a-hjkmnp-tv-z]+$/.test(value);
