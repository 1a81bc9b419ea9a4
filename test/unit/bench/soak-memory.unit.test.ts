import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  heapAfterGc,
  type InspectorSocket,
  inspectorEnv,
  inspectorUrl,
  memoryVerdict,
  slope,
} from '../../../scripts/soak/memory.js';

/**
 * A socket that behaves like Node's WebSocket to an engine that just died: it fails, and closing
 * it while it is still connecting fails it again (`error` once more, synchronously).
 */
class DeadEngineSocket implements InspectorSocket {
  onerror: ((e: unknown) => void) | null = null;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((m: MessageEvent) => void) | null = null;
  closes = 0;
  constructor() {
    setTimeout(() => this.onerror?.(new Event('error')), 1);
  }
  send(): void {
    throw new Error('not open');
  }
  close(): void {
    this.closes += 1;
    this.onerror?.(new Event('error'));
  }
}

/** An inspector that answers both calls. */
class LiveEngineSocket implements InspectorSocket {
  onerror: ((e: unknown) => void) | null = null;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((m: MessageEvent) => void) | null = null;
  constructor() {
    setTimeout(() => this.onopen?.(new Event('open')), 1);
  }
  send(text: string): void {
    const { id } = JSON.parse(text) as { id: number };
    const result = id === 2 ? { usedSize: 12_345 } : {};
    setTimeout(() => this.onmessage?.({ data: JSON.stringify({ id, result }) } as MessageEvent), 1);
  }
  close(): void {}
}

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

  it('takes the heap after GC from the inspector, and settles once when the engine died mid-sample', async () => {
    await expect(heapAfterGc('ws://x', 1_000, () => new LiveEngineSocket())).resolves.toBe(12_345);
    const dead = new DeadEngineSocket();
    await expect(heapAfterGc('ws://dead', 1_000, () => dead)).rejects.toThrow(/cannot reach the inspector/);
    expect(dead.closes).toBe(1);
    await expect(
      heapAfterGc('ws://none', 1_000, () => {
        throw new Error('no WebSocket in this Node');
      }),
    ).rejects.toThrow(/no WebSocket/);
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
