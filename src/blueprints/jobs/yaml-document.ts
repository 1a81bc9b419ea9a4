import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ErrorCode } from '../../contracts/error-codes.js';
import { LilyError } from '../../contracts/errors.js';

/** One problem in a YAML file: a dotted path from the document root, and where it is. */
export interface SpecIssue {
  path: string;
  message: string;
  /** The zod issue code, or `yaml_syntax` for a YAML error. */
  code?: string;
  line?: number;
  column?: number;
}

/** A 1-based line and column in the source text. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Finds where a path (`['trigger', 'cron']`) is written in the source; the nearest ancestor if absent. */
export type Locate = (
  path: readonly PropertyKey[],
  options?: { key?: boolean },
) => SourcePosition | undefined;

/** Hard limits against resource exhaustion by a hostile or broken file. */
export const YAML_LIMITS = { maxBytes: 1_000_000, maxAliasCount: 100 } as const;

export interface ParsedYaml {
  value: unknown;
  locate: Locate;
}

const MISSING_KEY_POSITION = { line: 1, column: 1 };

/**
 * Parses YAML text into plain JS. Syntax errors, duplicate keys, oversized files and alias
 * bombs (more than `maxAliasCount` alias expansions) become `code` errors with
 * `{file, issues: [{path, message, line, column}]}` as data.
 */
export const parseYaml = (text: string, file: string, code: ErrorCode): ParsedYaml => {
  if (text.length > YAML_LIMITS.maxBytes) {
    throw invalid(code, file, [
      { path: '', message: `file larger than ${YAML_LIMITS.maxBytes} bytes`, code: 'too_big' },
    ]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => ({
      path: '',
      message: e.message.split('\n')[0] ?? e.message,
      code: 'yaml_syntax',
      ...position(e.pos[0]),
    }));
    throw invalid(code, file, issues);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: YAML_LIMITS.maxAliasCount });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw invalid(code, file, [{ path: '', message, code: 'yaml_aliases', ...MISSING_KEY_POSITION }], e);
  }
  if (hasCycle(value)) {
    const message = 'an alias refers to a node that contains it: the value would be infinite';
    throw invalid(code, file, [{ path: '', message, code: 'yaml_aliases', ...MISSING_KEY_POSITION }]);
  }
  return { value, locate: (path, options) => locateIn(doc, path, position, options?.key === true) };
};

/** True when an object contains itself (`&a {self: *a}`); iterative, so depth cannot overflow. */
const hasCycle = (root: unknown): boolean => {
  const onPath = new Set<object>();
  const stack: [unknown, boolean][] = [[root, false]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [value, leaving] = top;
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    if (leaving) {
      onPath.delete(value);
      continue;
    }
    if (onPath.has(value)) return true;
    onPath.add(value);
    stack.push([value, true]);
    for (const child of Object.values(value)) stack.push([child, false]);
  }
  return false;
};

/**
 * Validates a parsed YAML value with a zod schema. Every zod issue is mapped back to a line and
 * column; an unknown key is reported once per key, at the key itself.
 */
export const validateYaml = <S extends z.ZodType>(
  parsed: ParsedYaml,
  schema: S,
  file: string,
  code: ErrorCode,
): z.output<S> => {
  const result = schema.safeParse(parsed.value ?? {});
  if (result.success) return result.data;
  throw invalid(code, file, zodToSpecIssues(result.error.issues, parsed.locate));
};

/** Maps zod issues to `SpecIssue`s, prefixing every path with `prefix` (for nested values). */
export const zodToSpecIssues = (
  issues: readonly z.core.$ZodIssue[],
  locate?: Locate,
  prefix: readonly PropertyKey[] = [],
): SpecIssue[] =>
  issues.flatMap((issue): SpecIssue[] => {
    const base = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: dotted([...base, key]),
        message: `unknown field "${key}"`,
        code: issue.code,
        ...locate?.([...base, key], { key: true }),
      }));
    }
    return [{ path: dotted(base), message: issue.message, code: issue.code, ...locate?.(base) }];
  });

/** Builds the `code` error for a file from its issues. */
export const invalid = (code: ErrorCode, file: string, issues: SpecIssue[], cause?: unknown): LilyError => {
  const first = issues[0];
  const where = first?.line === undefined ? file : `${file}:${first.line}:${first.column}`;
  const what =
    first === undefined ? 'invalid' : `${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new LilyError(code, `${where}: ${what}${more}`, { file, issues }, { cause });
};

export const dotted = (path: readonly PropertyKey[]): string => path.map(String).join('.');

const locateIn = (
  doc: Document,
  path: readonly PropertyKey[],
  position: (offset: number) => SourcePosition,
  atKey: boolean,
): SourcePosition | undefined => {
  let node: unknown = doc.contents;
  let found: Node | undefined = isNode(node) ? node : undefined;
  for (const [i, segment] of path.entries()) {
    const step = child(node, segment, atKey && i === path.length - 1);
    if (!step) break;
    node = step.value;
    found = step.at ?? found;
  }
  const offset = found?.range?.[0];
  return offset === undefined ? MISSING_KEY_POSITION : position(offset);
};

/** The child at `segment`, and the node to point at: the value, or the key when the value is empty. */
const child = (
  node: unknown,
  segment: PropertyKey,
  atKey: boolean,
): { value: unknown; at: Node | undefined } | undefined => {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
    if (!pair) return undefined;
    const value = pair.value;
    const key = isNode(pair.key) ? pair.key : undefined;
    const at = !atKey && isNode(value) && value.range ? value : key;
    return { value, at };
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { value: item, at: isNode(item) ? item : undefined };
  }
  return undefined;
};

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : String(key));

const isNode = (v: unknown): v is Node => isMap(v) || isSeq(v) || isScalar(v);
