import { describe, expect, it } from 'vitest';
import { analyzeEffects, parseEffects } from '../../scripts/soak/effects.js';

const W1 = 100;
const W2 = 200;
const workers = new Set([W1, W2]);

describe('soak effects analysis', () => {
  it('parses lines and reports malformed ones', () => {
    const { lines, bad } = parseEffects('r/a/1 i 100\n\nr/b/1/s0 n 200\ngarbage\nr/c/1 x 1\n');
    expect(lines).toEqual([
      { key: 'r/a/1', idempotent: true, pid: 100 },
      { key: 'r/b/1/s0', idempotent: false, pid: 200 },
    ]);
    expect(bad).toEqual(['garbage', 'r/c/1 x 1']);
  });

  it('a retried attempt is a different dispatch, not a duplicate', () => {
    const { lines } = parseEffects('r/a/1 i 100\nr/a/2 i 100\nr/a/1/gate:check i 100\n');
    expect(analyzeEffects(lines, new Set(), workers)).toEqual({
      lines: 3,
      dispatches: 3,
      duplicated: [],
      reExecutedAfterKill: [],
    });
  });

  it('the same dispatch twice under a live worker is a duplicate', () => {
    const { lines } = parseEffects('r/a/1 i 100\nr/a/1 i 200\n');
    expect(analyzeEffects(lines, new Set(), workers).duplicated).toEqual(['r/a/1']);
  });

  it('an idempotent dispatch re-run after its worker was killed is counted apart', () => {
    const { lines } = parseEffects('r/a/1 i 100\nr/a/1 i 200\nr/b/1 i 1\nr/b/1 i 200\n');
    const report = analyzeEffects(lines, new Set([W1]), workers);
    expect(report.duplicated).toEqual([]);
    expect(report.reExecutedAfterKill).toEqual(['r/a/1', 'r/b/1']);
  });

  it('a non-idempotent dispatch run twice is a duplicate even after a kill', () => {
    const { lines } = parseEffects('r/a/1 n 100\nr/a/1 n 200\n');
    expect(analyzeEffects(lines, new Set([W1]), workers).duplicated).toEqual(['r/a/1']);
  });
});
