import { LilyError } from '../../contracts/errors.js';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Longest accepted duration: 10 years (a credential meant to outlive that should not expire). */
const MAX_MS = 10 * 365 * UNIT_MS.d;

/**
 * `90s`, `30m`, `12h`, `30d`, `2w` -> milliseconds. Throws `usage_invalid` `{reason, value}`
 * for anything else, zero, or more than ten years.
 */
export const parseDuration = (text: string, option = '--expires'): number => {
  const m = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms > 0 && ms <= MAX_MS)) {
    throw new LilyError(
      'usage_invalid',
      `${option} ${JSON.stringify(text)}: a duration such as 90s, 30m, 12h, 30d or 2w (at most 10 years)`,
      { reason: option, value: text },
    );
  }
  return ms;
};
