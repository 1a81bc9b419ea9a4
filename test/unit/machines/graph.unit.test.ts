import { describe, expect, it } from 'vitest';
import { checkReachability, shortestPathsToFinals, toDot, toMermaid } from '../../../src/machines/index.js';
import { createRunProgram } from '../../../src/machines/program.js';
import { plan } from './given.js';

const small = plan([
  { id: 'build', executor: 'cmd', retry: { maxAttempts: 2 }, gates: [{ id: 'lint', required: true }] },
  { id: 'ship', executor: 'cmd', needs: ['build'], idempotent: false, timeoutMs: 1000 },
]);

describe('graph tools', () => {
  it('given a small plan, every state is reachable and every path ends in a final state', () => {
    const report = checkReachability(createRunProgram(small));
    expect(report).toMatchObject({ unreachable: [], deadEnds: 0, cyclic: false, truncated: false, ok: true });
    expect(report.finals).toEqual(['cancelled', 'failed', 'succeeded']);
  });

  it('given a partitioned step, shards and fan-in are explored too', () => {
    const p = plan([
      { id: 'fan', executor: 'cmd', partition: { partitioner: 'files', concurrency: 1, mode: 'collect' } },
    ]);
    expect(checkReachability(createRunProgram(p)).ok).toBe(true);
    // A world that never asks for approval cannot reach awaiting_approval: the report says so.
    const report = checkReachability(createRunProgram(p), { approvals: false });
    expect(report).toMatchObject({ ok: false, unreachable: ['run.running.fan.awaiting_approval'] });
  });

  it('gives the shortest path to each final state', () => {
    const paths = shortestPathsToFinals(createRunProgram(small));
    expect(paths.cancelled).toEqual(['run.started', 'run.cancel_requested']);
    expect(paths.failed).toEqual(['run.started', 'policy.decided']);
    expect(paths.succeeded?.[0]).toBe('run.started');
    expect(paths.succeeded?.at(-1)).toBe('step.succeeded');
  });

  it('exports Mermaid and DOT naming every region and state', () => {
    const program = createRunProgram(small);
    const mermaid = toMermaid(program);
    expect(mermaid).toContain('stateDiagram-v2');
    expect(mermaid).toContain('build__gating --> build__succeeded: gates passed');
    expect(mermaid).toContain('ship__dispatched --> ship__indeterminate');
    expect(toMermaid(program, 'plan')).toContain('build --> ship');
    const dot = toDot(program);
    expect(dot).toContain('subgraph cluster_build');
    expect(dot).toContain('build__succeeded -> ship__waiting');
  });
});
