/**
 * A copy of a string that holds nothing else. The LMDB store decodes a stored event with
 * msgpackr, whose native reader turns a record's ASCII run into one string and hands out its
 * fields as slices of it: a run id kept from a decoded event keeps the whole record (about
 * 500 bytes to 1 KB) alive. What is kept for long (caches of finished runs) keeps a copy.
 */
export const ownString = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');
