import { describe, expect, it } from 'vitest';
import { Mailboxes } from '../../../../src/actors/engine/mailboxes.js';

describe('Mailboxes: per-run order, batching, retry', () => {
  it('handles one key in order, the backlog as one batch, and resolves delivery once handled', async () => {
    const batches: string[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const boxes = new Mailboxes<string, string>(
      async (_key, batch) => {
        batches.push(batch);
        if (batches.length === 1) await gate;
      },
      () => {},
    );
    const first = boxes.deliver('r1', ['a']);
    const second = boxes.deliver('r1', ['b']);
    const third = boxes.deliver('r1', ['c']);
    release();
    await Promise.all([first, second, third]);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('given the handler fails, the batch goes back to the front and is retried after a growing wait', async () => {
    const waits: number[] = [];
    const failures: number[] = [];
    const seen: string[][] = [];
    const boxes = new Mailboxes<string, string>(
      async (_key, batch) => {
        seen.push(batch);
        if (seen.length <= 2) throw new Error('disk full');
      },
      (_key, attempt) => failures.push(attempt),
      async (ms) => {
        waits.push(ms);
      },
    );
    await boxes.deliver('r1', ['a', 'b']);
    expect(seen).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(failures).toEqual([1, 2]);
    expect(waits).toEqual([200, 400]);
  });

  it('after stop, nothing more is handled', async () => {
    const seen: string[] = [];
    const boxes = new Mailboxes<string, string>(
      async (_key, batch) => {
        seen.push(...batch);
      },
      () => {},
    );
    await boxes.deliver('r1', ['a']);
    await boxes.stop();
    await boxes.deliver('r1', ['b']);
    expect(seen).toEqual(['a']);
  });
});
