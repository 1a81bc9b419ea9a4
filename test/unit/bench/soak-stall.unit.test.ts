import { describe, expect, it } from 'vitest';
import type { InspectorSocket } from '../../../scripts/soak/memory.js';
import { pausedStack, StallWatch } from '../../../scripts/soak/stall.js';

/** An inspector whose process pauses when asked, reports its stack, and takes the resume. */
class PausingEngineSocket implements InspectorSocket {
  onerror: ((e: unknown) => void) | null = null;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((m: MessageEvent) => void) | null = null;
  readonly sent: string[] = [];
  constructor() {
    setTimeout(() => this.onopen?.(new Event('open')), 1);
  }
  send(text: string): void {
    const { id, method } = JSON.parse(text) as { id: number; method: string };
    this.sent.push(method);
    const reply = (m: object) =>
      setTimeout(() => this.onmessage?.({ data: JSON.stringify(m) } as MessageEvent), 1);
    reply({ id, result: {} });
    if (method === 'Debugger.pause') {
      reply({
        method: 'Debugger.paused',
        params: {
          callFrames: [
            { functionName: 'spin', url: 'file:///app/dist/x.js', location: { lineNumber: 9 } },
            { functionName: '', url: 'file:///app/dist/y.js', location: { lineNumber: 0 } },
          ],
        },
      });
    }
  }
  close(): void {}
}

/** An inspector that connects and never answers: a main thread blocked outside JavaScript. */
class SilentEngineSocket implements InspectorSocket {
  onerror: ((e: unknown) => void) | null = null;
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((m: MessageEvent) => void) | null = null;
  constructor() {
    setTimeout(() => this.onopen?.(new Event('open')), 1);
  }
  send(): void {}
  close(): void {}
}

describe('soak stalls', () => {
  it("reads the main thread's JavaScript stack by pausing it, and resumes it", async () => {
    const socket = new PausingEngineSocket();
    await expect(pausedStack('ws://x', 1_000, () => socket)).resolves.toBe(
      '  at spin (file:///app/dist/x.js:10)\n  at (anonymous) (file:///app/dist/y.js:1)',
    );
    expect(socket.sent).toEqual(['Debugger.enable', 'Debugger.pause', 'Debugger.resume']);
    await expect(pausedStack('ws://x', 50, () => new SilentEngineSocket())).rejects.toThrow(/timed out/);
  });

  it('a minute with runs waiting and none final is one stall, dumped once, closed by the next progress', async () => {
    const dumps: string[] = [];
    const notes: string[] = [];
    const watch = new StallWatch({
      stallS: 60,
      dumpDir: '/tmp/d',
      note: (l) => notes.push(l),
      dump: async (pid, log, file) => void dumps.push(`${pid} ${log} ${file}`),
    });
    const engine = { pid: 42, log: '/tmp/engine.log' };
    await watch.observe(0, 10, 5, engine);
    await watch.observe(30, 20, 5, engine); // progress
    await watch.observe(85, 20, 5, engine); // 55 s without: not yet
    expect(watch.stalls).toEqual([]);
    await watch.observe(90, 20, 5, engine);
    await watch.observe(95, 20, 5, engine); // the same stall: no second dump
    expect(dumps).toEqual(['42 /tmp/engine.log /tmp/d/stall-90s-engine-42.txt']);
    expect(watch.stalls).toEqual([
      { fromS: 30, toS: null, inFlight: 5, enginePid: 42, dump: '/tmp/d/stall-90s-engine-42.txt' },
    ]);
    await watch.observe(100, 21, 4, engine);
    expect(watch.stalls[0]?.toS).toBe(100);
    // Nothing waiting is not a stall, however long.
    await watch.observe(200, 21, 0, engine);
    await watch.observe(400, 21, 0, engine);
    expect(watch.stalls).toHaveLength(1);
    expect(notes.some((n) => n.startsWith('STALL'))).toBe(true);
  });
});
