import pc from 'picocolors';

/** The picocolors functions (all identity when colors are off). */
export type Colors = ReturnType<typeof pc.createColors>;

/** Where a command writes, and how: the one place that knows about stdout, stderr and colors. */
export interface Ui {
  readonly colors: Colors;
  /** Colors for stderr (may differ from stdout's when only one is a terminal). */
  readonly errColors: Colors;
  out(text: string): void;
  err(text: string): void;
}

type Stream = { isTTY?: boolean; write(text: string): unknown };

/**
 * Colors are on when the stream is a terminal, unless NO_COLOR is set (any non-empty value,
 * https://no-color.org) or `--no-color` is given; FORCE_COLOR (not "0") forces them on.
 */
export const colorEnabled = (
  stream: Stream,
  flag: boolean,
  env: NodeJS.ProcessEnv = process.env,
): boolean => {
  if (!flag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
};

const ensureNewline = (text: string): string => (text.endsWith('\n') || text === '' ? text : `${text}\n`);

/** The process's Ui: text to stdout/stderr, a newline added when missing. */
export const processUi = (options: { color: boolean }): Ui => ({
  colors: pc.createColors(colorEnabled(process.stdout, options.color)),
  errColors: pc.createColors(colorEnabled(process.stderr, options.color)),
  out: (text) => void process.stdout.write(ensureNewline(text)),
  err: (text) => void process.stderr.write(ensureNewline(text)),
});
