import { stringify } from 'yaml';
import { ERROR_CODES } from '../../contracts/error-codes.js';
import type { LilyError } from '../../contracts/errors.js';
import type { Colors } from './ui.js';

const WIDTH = 72;

/** Codes of the compile boundary: shown in the high-visibility "Blueprint Diagnostic" panel. */
export const isBlueprintDiagnostic = (code: string): boolean =>
  code.startsWith('blueprint_') || code.startsWith('stage_') || code === 'job_kind_unknown';

interface Issue {
  path?: unknown;
  message?: unknown;
  line?: unknown;
  column?: unknown;
}

const isIssueList = (v: unknown): v is Issue[] =>
  Array.isArray(v) && v.every((i) => typeof i === 'object' && i !== null && 'message' in i);

const renderIssues = (c: Colors, file: unknown, issues: Issue[]): string[] =>
  issues.map((i) => {
    const at =
      typeof i.line === 'number' ? `${typeof file === 'string' ? file : ''}:${i.line}:${i.column}` : '';
    const path = typeof i.path === 'string' && i.path !== '' ? c.bold(i.path) : '';
    return `  ${c.red('✗')} ${[at && c.cyan(at), path, String(i.message)].filter(Boolean).join('  ')}`;
  });

const renderData = (c: Colors, data: Record<string, unknown>): string[] => {
  const { issues, ...rest } = data;
  const lines: string[] = [];
  const restKeys = Object.keys(rest).filter((k) => rest[k] !== undefined);
  if (restKeys.length > 0) {
    const yaml = stringify(rest, { lineWidth: WIDTH - 4 }).trimEnd();
    lines.push(...yaml.split('\n').map((l) => `  ${l}`));
  }
  if (isIssueList(issues)) {
    lines.push(c.dim('issues'), ...renderIssues(c, data.file, issues));
  } else if (issues !== undefined) {
    lines.push(
      ...stringify({ issues }, { lineWidth: WIDTH - 4 })
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  return lines;
};

/**
 * A LilyError as a framed panel: "Blueprint Diagnostic" for compile-boundary codes, "Error"
 * otherwise, with code, message, data (issues as `file:line:column path message`) and the
 * error's own `fix` (a policy denial's) or the code's summary as a hint. No stack: that is `--debug`'s job.
 */
export const renderErrorPanel = (c: Colors, error: LilyError): string => {
  const diagnostic = isBlueprintDiagnostic(error.code);
  const tone = diagnostic ? c.magenta : c.red;
  const title = diagnostic ? ' Blueprint Diagnostic ' : ' Error ';
  const entry = ERROR_CODES[error.code];
  const exit = entry.kind === 'input' ? 2 : 1;
  const bar = tone('┃');
  // A denial says what to change: that is the hint, rather than the code's summary.
  const { fix, ...data } = error.data;
  const body = [
    `${c.dim('code   ')} ${c.bold(tone(error.code))} ${c.dim(`(${entry.kind}, exit ${exit})`)}`,
    `${c.dim('message')} ${error.message}`,
    ...(Object.keys(data).length > 0 ? [c.dim('data'), ...renderData(c, data)] : []),
    `${c.dim('hint   ')} ${typeof fix === 'string' ? fix : entry.summary}`,
  ];
  const top = tone(`┏━━${c.bold(title)}${'━'.repeat(Math.max(4, WIDTH - title.length - 3))}`);
  const bottom = tone(`┗${'━'.repeat(WIDTH - 1)}`);
  return [top, ...body.flatMap((l) => l.split('\n')).map((l) => `${bar} ${l}`), bottom].join('\n');
};
