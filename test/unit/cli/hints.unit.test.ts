import { describe, expect, it } from 'vitest';
import { carryDir, lilyCommand } from '../../../src/cli/hints.js';

describe('hints carry the --dir the user gave', () => {
  it('lilyCommand adds --dir (quoted when it must be)', () => {
    expect(lilyCommand('runs show X', undefined)).toBe('lily runs show X');
    expect(lilyCommand('runs show X', 'proj')).toBe('lily --dir proj runs show X');
    expect(lilyCommand('up', "my proj's")).toBe(`lily --dir 'my proj'\\''s' up`);
  });

  it('carryDir rewrites every backquoted lily command, and leaves those naming a --dir alone', () => {
    const text = 'start one with `lily up`, then `lily jobs run x`; or `lily --dir other up`';
    expect(carryDir(text, 'p')).toBe(
      'start one with `lily --dir p up`, then `lily --dir p jobs run x`; or `lily --dir other up`',
    );
    expect(carryDir(text, undefined)).toBe(text);
    expect(carryDir('lily.default.evt.> and lily up', 'p')).toBe('lily.default.evt.> and lily up');
  });
});
