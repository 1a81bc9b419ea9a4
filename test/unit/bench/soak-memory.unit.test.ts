import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectorEnv, inspectorUrl, memoryVerdict, slope } from '../../../scripts/soak/memory.js';

describe('soak memory series', () => {
  it('finds the last inspector URL a daemon printed to its log', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lily-soak-mem-'));
    try {
      const log = join(dir, 'engine.log');
      writeFileSync(
        log,
        [
          'Debugger listening on ws://127.0.0.1:40001/0f0e0d0c-1111-2222-3333-444455556666',
          '{"level":30,"msg":"engine started"}',
          'Debugger listening on ws://127.0.0.1:40002/aaaaaaaa-1111-2222-3333-444455556666',
        ].join('\n'),
      );
      expect(inspectorUrl(log)).toBe('ws://127.0.0.1:40002/aaaaaaaa-1111-2222-3333-444455556666');
      expect(inspectorUrl(join(dir, 'missing.log'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds the inspector flag to NODE_OPTIONS', () => {
    expect(inspectorEnv({ NODE_OPTIONS: '--max-old-space-size=512' }).NODE_OPTIONS).toBe(
      '--max-old-space-size=512 --inspect=127.0.0.1:0',
    );
  });

  it('fits the heap per finished run for each engine process', () => {
    expect(
      slope([
        { x: 0, y: 1 },
        { x: 1, y: 3 },
        { x: 2, y: 5 },
      ]),
    ).toBeCloseTo(2);
    expect(slope([{ x: 0, y: 1 }])).toBeUndefined();
    const s = (tS: number, runsFinished: number, pid: number, heap: number, lmdb: number) => ({
      tS,
      runsFinished,
      runsRequested: runsFinished,
      enginePid: pid,
      rssMb: 100,
      heapAfterGcMb: heap,
      lmdbBytes: lmdb,
    });
    const v = memoryVerdict(
      [s(0, 0, 1, 20, 1000), s(10, 100, 1, 20, 2000), s(20, 200, 1, 20, 3000), s(30, 300, 2, 10, 4000)],
      400,
    );
    expect(v.engines[0]?.heapKbPerFinishedRun).toBe(0);
    expect(v.engines[1]?.heapKbPerFinishedRun).toBeUndefined();
    expect(v.lmdbBytesPerRun).toBe(10);
    expect(v.lmdbBytesPerFinishedRunSlope).toBe(10);
  });
});
