/**
 * A copy of a string that holds nothing else. A string decoded from a stored event may be a
 * slice of a larger one (msgpackr's native reader, which decodes events written before decision
 * 036, turns a record's ASCII run into one string and hands out its fields as slices of it), so
 * a run id kept from it would keep the whole record (about 500 bytes to 1 KB) alive. What is
 * kept for long (caches of finished runs) keeps a copy.
 */
export const ownString = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');
