/**
 * A unified diff (`---`/`+++` headers, `@@` hunks with `context` lines around each change) of
 * two texts, line by line, from a longest-common-subsequence table: fine for files of a few
 * hundred lines, such as job specs. Empty when the texts are equal.
 */
export const unifiedDiff = (
  a: string,
  b: string,
  names: { from: string; to: string },
  context = 3,
): string => {
  if (a === b) return '';
  const x = lines(a);
  const y = lines(b);
  const ops = diffOps(x, y);
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]?.op === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2 * context lines from the previous one.
    let end = i;
    for (let j = i; j < ops.length; j++) {
      if (ops[j]?.op !== ' ') end = j;
      else if (j - end > 2 * context) break;
    }
    const start = Math.max(0, i - context);
    const stop = Math.min(ops.length, end + context + 1);
    const slice = ops.slice(start, stop);
    const first = slice[0] as DiffOp;
    const oldLen = slice.filter((o) => o.op !== '+').length;
    const newLen = slice.filter((o) => o.op !== '-').length;
    hunks.push(
      `@@ -${first.a + (oldLen === 0 ? 0 : 1)},${oldLen} +${first.b + (newLen === 0 ? 0 : 1)},${newLen} @@`,
      ...slice.map((o) => `${o.op}${o.text}`),
    );
    i = stop;
  }
  return [`--- ${names.from}`, `+++ ${names.to}`, ...hunks].join('\n');
};

/** The lines of a text; a final newline ends the last line rather than starting an empty one. */
const lines = (text: string): string[] => (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');

interface DiffOp {
  op: ' ' | '-' | '+';
  text: string;
  /** Lines of a and b before this one. */
  a: number;
  b: number;
}

const diffOps = (x: string[], y: string[]): DiffOp[] => {
  const n = x.length;
  const m = y.length;
  // lcs[i][j]: the longest common subsequence of x[i..] and y[j..].
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  const at = (i: number, j: number): number => lcs[i]?.[j] ?? 0;
  for (let i = n - 1; i >= 0; i--) {
    const row = lcs[i] as number[];
    for (let j = m - 1; j >= 0; j--)
      row[j] = x[i] === y[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
  }
  const ops: DiffOp[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      ops.push({ op: ' ', text: x[i] as string, a: i, b: j });
      i++;
      j++;
    } else if (i < n && (j >= m || at(i + 1, j) >= at(i, j + 1))) {
      // Removals before additions, as diff(1) prints them.
      ops.push({ op: '-', text: x[i] as string, a: i, b: j });
      i++;
    } else {
      ops.push({ op: '+', text: y[j] as string, a: i, b: j });
      j++;
    }
  }
  return ops;
};
