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
  const { issues, ...others } = data;
  // A string hint has its own line in the panel.
  const rest = typeof others.hint === 'string' ? { ...others, hint: undefined } : others;
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
 * otherwise, with code, message, data (issues as `file:line:column path message`) and a hint:
 * the error's own (`data.hint`, or a policy denial's `data.fix`) when it has one, else the
 * code's summary. No stack: that is `--debug`'s job.
 */
export const renderErrorPanel = (c: Colors, error: LilyError): string => {
  const diagnostic = isBlueprintDiagnostic(error.code);
  const tone = diagnostic ? c.magenta : c.red;
  const title = diagnostic ? ' Blueprint Diagnostic ' : ' Error ';
  const entry = ERROR_CODES[error.code];
  const exit = entry.kind === 'input' ? 2 : 1;
  // The error's own hint (what to do about this very failure; a policy denial's `fix`) wins
  // over the code's summary, and is not repeated under data.
  const own = ['hint', 'fix'].find((k) => typeof error.data[k] === 'string');
  const hint = own ? String(error.data[own]) : entry.summary;
  const shown = Object.fromEntries(Object.entries(error.data).filter(([k]) => k !== own));
  const bar = tone('┃');
  const body = [
    `${c.dim('code   ')} ${c.bold(tone(error.code))} ${c.dim(`(${entry.kind}, exit ${exit})`)}`,
    `${c.dim('message')} ${error.message}`,
    ...(Object.keys(shown).length > 0 ? [c.dim('data'), ...renderData(c, shown)] : []),
    `${c.dim('hint   ')} ${hint}`,
  ];
  const top = tone(`┏━━${c.bold(title)}${'━'.repeat(Math.max(4, WIDTH - title.length - 3))}`);
  const bottom = tone(`┗${'━'.repeat(WIDTH - 1)}`);
  return [top, ...body.flatMap((l) => l.split('\n')).map((l) => `${bar} ${l}`), bottom].join('\n');
};
