import { describe, expect, it } from 'vitest';
import { layered } from '../../../src/ui/model/layout.js';

const box = (id: string) => ({ id, width: 100, height: 40 });
const overlaps = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('layered layout', () => {
  it('puts each node one layer right of its furthest need, without overlaps', () => {
    const l = layered(['a', 'b', 'c', 'd'].map(box), [
      { from: 'a', to: 'b' },
      { from: 'a', to: 'c' },
      { from: 'b', to: 'd' },
      { from: 'c', to: 'd' },
    ]);
    const n = Object.fromEntries(l.nodes.map((x) => [x.id, x]));
    expect([n.a?.layer, n.b?.layer, n.c?.layer, n.d?.layer]).toEqual([0, 1, 1, 2]);
    expect((n.a?.x ?? 0) < (n.b?.x ?? 0) && (n.b?.x ?? 0) < (n.d?.x ?? 0)).toBe(true);
    for (const p of l.nodes) for (const q of l.nodes) if (p !== q) expect(overlaps(p, q)).toBe(false);
    for (const p of l.nodes) {
      expect(p.x + p.width).toBeLessThanOrEqual(l.width);
      expect(p.y + p.height).toBeLessThanOrEqual(l.height);
    }
    expect(l.edges.every((e) => !e.back)).toBe(true);
  });

  it('routes an edge that skips a layer through that layer (one curve per layer crossed)', () => {
    const l = layered(['a', 'b', 'c'].map(box), [
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'a', to: 'c' },
    ]);
    const long = l.edges.find((e) => e.from === 'a' && e.to === 'c');
    const short = l.edges.find((e) => e.from === 'a' && e.to === 'b');
    expect(long?.path.match(/C/g)).toHaveLength(2);
    expect(short?.path.match(/C/g)).toHaveLength(1);
  });

  it('draws an edge that closes a cycle as a back edge, found in the given node order', () => {
    const l = layered(['x', 'y'].map(box), [
      { from: 'x', to: 'y' },
      { from: 'y', to: 'x' },
    ]);
    expect(l.edges.map((e) => [e.from, e.to, e.back])).toEqual([
      ['x', 'y', false],
      ['y', 'x', true],
    ]);
    const n = Object.fromEntries(l.nodes.map((x) => [x.id, x]));
    expect(n.x?.layer).toBe(0);
    expect(n.y?.layer).toBe(1);
    // The arc of the back edge fits above the nodes.
    expect(Math.min(...l.nodes.map((x) => x.y))).toBeGreaterThan(20);
  });

  it('drops edges that name unknown nodes or loop on one node; the same input gives the same picture', () => {
    const input = [
      ['a', 'b', 'c'].map(box),
      [
        { from: 'a', to: 'zz' },
        { from: 'b', to: 'b' },
        { from: 'a', to: 'c' },
      ],
    ] as const;
    const l = layered(...input);
    expect(l.edges.map((e) => `${e.from}>${e.to}`)).toEqual(['a>c']);
    expect(layered(...input)).toEqual(l);
  });
});
