/**
 * A damaged `.lily/db`: a truncated data.mdb is refused before LMDB maps it (a mapped page past
 * the end of the file is a SIGBUS), and bytes flipped inside the log surface as
 * `eventstore_corrupt` from every read, never as a decoder's own error or raw data.
 */

import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLilyError } from '../../../src/contracts/errors.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';
import { checkLmdbFile } from '../../../src/eventstore/lmdb-integrity.js';

const CHILD = fileURLToPath(new URL('./read-child.ts', import.meta.url));
let root: string;
let healthy: string;

const copyDb = (name: string): string => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(healthy, 'data.mdb'), join(dir, 'data.mdb'));
  return dir;
};

/** Everything a reader does with a store; resolves to the error it threw, or undefined. */
const readEverything = async (dir: string): Promise<unknown> => {
  try {
    const store = openLmdbEventStore({ path: dir });
    try {
      for (const stream of await store.listStreams()) await store.readStream(stream);
      await store.readAll();
    } finally {
      await store.close();
    }
    return undefined;
  } catch (e) {
    return e;
  }
};

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'lily-corrupt-'));
  healthy = join(root, 'healthy');
  const store = openLmdbEventStore({ path: healthy });
  for (let run = 0; run < 40; run += 1) {
    await store.append(
      `run/r${run}`,
      Array.from({ length: 5 }, (_, i) => ({
        id: `e${run}-${i}`,
        type: 'timer.fired' as const,
        at: 1_000 + i,
        data: { timerId: `t${run}-${i}-${'x'.repeat(64)}`, firedAt: 1_000 + i },
        meta: { causationId: 'c', correlationId: 'c', producer: 'test' },
      })),
    );
  }
  await store.close();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a damaged event store', () => {
  it('passes a healthy file and a missing one', () => {
    expect(() => checkLmdbFile(healthy)).not.toThrow();
    expect(() => checkLmdbFile(join(root, 'nothing-here'))).not.toThrow();
  });

  it('refuses a truncated data.mdb with eventstore_corrupt before mapping it', async () => {
    const dir = copyDb('truncated');
    const size = statSync(join(dir, 'data.mdb')).size;
    truncateSync(join(dir, 'data.mdb'), Math.floor(size / 3));
    const error = await readEverything(dir);
    expect(isLilyError(error) && error.code).toBe('eventstore_corrupt');
    expect((error as { data: { expected: number } }).data.expected).toBe(size);
  });

  it('refuses a file that is not an LMDB environment', async () => {
    const dir = join(root, 'garbage');
    mkdirSync(dir);
    writeFileSync(join(dir, 'data.mdb'), Buffer.alloc(20_000, 7));
    const error = await readEverything(dir);
    expect(isLilyError(error) && error.code).toBe('eventstore_corrupt');
  });

  it('flipped bytes: every read works or says eventstore_corrupt, without raw data', async () => {
    const original = readFileSync(join(healthy, 'data.mdb'));
    const outcomes: Record<string, number> = {};
    let n = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 2 * 4096, max: original.length - 1 }), {
          minLength: 1,
          maxLength: 200,
        }),
        fc.integer({ min: 1, max: 255 }),
        (offsets, mask) => {
          const dir = join(root, `flipped-${n++}`);
          mkdirSync(dir);
          const bytes = Buffer.from(original);
          for (const o of offsets) bytes[o] = (bytes[o] as number) ^ mask;
          writeFileSync(join(dir, 'data.mdb'), bytes);
          const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, dir], { encoding: 'utf8' });
          rmSync(dir, { recursive: true, force: true });
          // LMDB has no page checksums: damage to a B-tree page can still fault inside LMDB
          // (docs/operations.md, "Storage faults"). Anything that returns must be clean.
          if (child.signal) {
            outcomes[child.signal] = (outcomes[child.signal] ?? 0) + 1;
            return;
          }
          const outcome = JSON.parse(child.stdout) as { ok: boolean; code?: string; data?: unknown };
          const key = outcome.ok ? 'ok' : String(outcome.code ?? 'uncoded');
          outcomes[key] = (outcomes[key] ?? 0) + 1;
          expect(outcome.ok || outcome.code === 'eventstore_corrupt').toBe(true);
          expect(JSON.stringify(outcome.data ?? {})).not.toContain('xxxx');
        },
      ),
      { numRuns: 24, seed: 20261201 },
    );
    expect(outcomes.eventstore_corrupt ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
