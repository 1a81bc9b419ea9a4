/** What each action's preview says, from receipts and graphs of real run logs. */
import { describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { runGraph } from '../../../src/client/runs/graph.js';
import { previewFork } from '../../../src/client/runs/rerun-preview.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { projectReceipt } from '../../../src/eventstore/projections/receipt.js';
import {
  approvalPreview,
  cancelPreview,
  rerunPreview,
  resolvePreview,
} from '../../../src/ui/server/previews.js';
import { runLog } from './fixtures.js';

const catalog = createBuiltinCatalog();
const upTo = (events: StoredEvent[], type: string) =>
  events.slice(0, events.findIndex((e) => e.type === type) + 1);

/** The slow run while its step runs, then reported indeterminate (as after a worker crash). */
const indeterminate = (): StoredEvent[] => {
  const running = upTo(runLog('slow'), 'step.started');
  const started = running.at(-1) as StoredEvent;
  const d = started.data as { stepId: string; attempt: number; dispatchId: string };
  return [
    ...running,
    {
      ...started,
      id: `${d.dispatchId}/indeterminate`,
      seq: started.seq + 1,
      pos: started.pos + 1,
      type: 'step.indeterminate',
      data: {
        stepId: d.stepId,
        attempt: d.attempt,
        dispatchId: d.dispatchId,
        reason: 'in_flight_at_recovery',
      },
    },
  ];
};

describe('previews', () => {
  it('cancel: names the attempt in flight that will be abandoned; a finished run cannot be cancelled', () => {
    const running = projectReceipt(upTo(runLog('slow'), 'step.started'));
    const p = cancelPreview(running, 'alice', 'enough');
    expect(p.allowed).toBe(true);
    expect(p.effects[0]).toMatch(/run\.cancel_requested .* \(by alice, reason "enough"\)/);
    expect(p.effects[1]).toMatch(/^Step nap attempt 1 is running on worker 1: the run stops waiting for it/);
    expect(p.facts.inFlight).toEqual([`${running.runId}/nap/1`]);
    const waiting = cancelPreview(
      projectReceipt(upTo(runLog('gated'), 'approval.requested')),
      'alice',
      undefined,
    );
    expect(
      waiting.effects.some((e) => /^Approval .*\.ship\.1 \(step ship\) is no longer needed/.test(e)),
    ).toBe(true);
    const done = cancelPreview(projectReceipt(runLog('hello')), 'alice', undefined);
    expect(done).toMatchObject({
      allowed: false,
      blocked: 'the run is succeeded: only a queued or running run can be cancelled',
    });
  });

  it('rerun from a step: the reused and re-run steps, in words', () => {
    const events = runLog('flaky');
    const runId = events[0]?.stream.slice(4) as string;
    const p = rerunPreview(previewFork(catalog, runId, events, { fromStep: 'flake' }));
    expect(p.effects).toEqual([
      `A new run of job flaky forks run ${runId} from step flake: it and every step downstream of it run again.`,
      'Reused from the parent (not run): prepare.',
      'Run again: flake.',
      expect.stringMatching(/^The new run pins the parent's plan \([0-9a-f]{12}\) and input/),
    ]);
    const gates = rerunPreview(previewFork(catalog, runId, events, { gatesOnly: true }));
    expect(gates.effects[0]).toMatch(/only the gates run again/);
  });

  it('resolve: only an indeterminate dispatch of a running run can be answered, and what each answer does', () => {
    const events = indeterminate();
    const receipt = projectReceipt(events);
    const graph = runGraph(catalog, events);
    const dispatchId = `${receipt.runId}/nap/1`;
    const failed = resolvePreview(receipt, graph, dispatchId, 'failed');
    expect(failed.allowed).toBe(true);
    expect(failed.effects).toEqual([
      `The run records step.failed for ${dispatchId} (not retryable): you say the effect did not happen.`,
      'Step nap fails, and with it the run.',
    ]);
    expect(resolvePreview(receipt, graph, dispatchId, 'succeeded').effects[0]).toMatch(
      /records step\.succeeded/,
    );
    const stillRunning = projectReceipt(upTo(runLog('slow'), 'step.started'));
    expect(resolvePreview(stillRunning, graph, dispatchId, 'failed').blocked).toMatch(
      /is running: only an indeterminate dispatch/,
    );
    expect(resolvePreview(receipt, graph, `${receipt.runId}/nap/9`, 'failed').blocked).toMatch(
      /has no dispatch/,
    );
  });

  it('approval: the step and command a grant lets run; an answered approval is blocked', () => {
    const events = upTo(runLog('gated'), 'approval.requested');
    const graph = runGraph(catalog, events);
    const approval = {
      approvalId: 'A1',
      runId: events[0]?.stream.slice(4) as string,
      jobId: 'gated',
      stepId: 'ship',
      attempt: 1,
      reason: 'a human ships',
      requestedAt: 1,
      status: 'pending' as const,
    };
    const grant = approvalPreview(approval, graph, ['echo', 'shipped'], 'grant');
    expect(grant.effects[1]).toBe(
      'Step ship (attempt 1) is dispatched to the command executor and runs ["echo","shipped"].',
    );
    expect(approvalPreview(approval, graph, null, 'deny').effects[1]).toMatch(
      /^Step ship fails without running/,
    );
    expect(approvalPreview({ ...approval, status: 'granted' }, graph, null, 'grant').blocked).toBe(
      'approval A1 was already granted',
    );
  });
});
