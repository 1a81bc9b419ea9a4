import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../../src/cli/render/unified-diff.js';

const names = { from: 'a.yaml', to: 'b.yaml' };
const numbered = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('x\ny\n', 'x\ny\n', names)).toBe('');
  });

  it('prints removals before additions with three lines of context', () => {
    const a = `${numbered(10).join('\n')}\n`;
    const b = a.replace('line 5\n', 'line five\n');
    expect(unifiedDiff(a, b, names)).toBe(
      [
        '--- a.yaml',
        '+++ b.yaml',
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+line five',
        ' line 6',
        ' line 7',
        ' line 8',
      ].join('\n'),
    );
  });

  it('splits distant changes into hunks and numbers insertions and deletions', () => {
    const a = numbered(20);
    const b = [...a.slice(0, 1), 'new', ...a.slice(1, 17), ...a.slice(18)];
    const diff = unifiedDiff(a.join('\n'), b.join('\n'), names).split('\n');
    expect(diff.filter((l) => l.startsWith('@@'))).toEqual(['@@ -1,4 +1,5 @@', '@@ -15,6 +16,5 @@']);
    expect(diff).toContain('+new');
    expect(diff).toContain('-line 18');
  });
});
