/**
 * Text from files and the log (job titles, descriptions, approval notes) made safe to print on a
 * terminal: control characters — ESC of an escape sequence, BEL, backspace, carriage return, the
 * C1 range, bidi overrides — are shown as `\xNN` / `\u{NNNN}` instead of being interpreted, so a
 * title cannot move the cursor, recolor the screen, retitle the window or hide text.
 * Newlines and tabs are kept unless `oneLine`.
 *
 * @example
 * printable('evil\x1b[2Jtitle'); // 'evil\\x1b[2Jtitle'
 */
export const printable = (text: string, o: { oneLine?: boolean } = {}): string =>
  text.replace(UNSAFE, (ch) => {
    if (!o.oneLine && (ch === '\n' || ch === '\t')) return ch;
    const code = ch.codePointAt(0) ?? 0;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });

// C0 controls, DEL, C1 controls, and the Unicode bidi controls (LRE..RLO, LRI..PDI).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;
