/** A shell word: as is when it needs no quoting, else in single quotes. */
const shellWord = (word: string): string =>
  /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * A `lily` command line as the user should type it next: with the `--dir` they gave (a hint
 * that drops it would run against another project, or none).
 *
 * @example
 * lilyCommand('runs show 01J...', 'proj') // 'lily --dir proj runs show 01J...'
 */
export const lilyCommand = (args: string, dirArg: string | undefined): string =>
  dirArg === undefined ? `lily ${args}` : `lily --dir ${shellWord(dirArg)} ${args}`;

/**
 * `text` with every backquoted `` `lily …` `` command given the user's `--dir` (commands that
 * already name a `--dir` are left alone). Used on the messages and hints of errors, which are
 * written below the CLI and cannot know how it was called.
 */
export const carryDir = (text: string, dirArg: string | undefined): string =>
  dirArg === undefined
    ? text
    : text.replace(/`lily ((?!--dir\b)[^`]*)`/g, (_, rest: string) => `\`${lilyCommand(rest, dirArg)}\``);
