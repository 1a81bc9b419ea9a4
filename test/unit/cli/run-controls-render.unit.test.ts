import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { renderRunDetails } from '../../../src/cli/actions/runs-show.js';
import { printable } from '../../../src/cli/render/printable.js';
import { RunProgress } from '../../../src/cli/render/progress.js';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';
import { initialReceiptState } from '../../../src/eventstore/projections/receipt-fold.js';

const plain = pc.createColors(false);
const RUN = '01JAAAAAAAAAAAAAAAAAAAAAAA';

const event = (seq: number, type: string, data: Record<string, unknown>): StoredEvent =>
  ({
    id: `e${seq}`,
    stream: `run/${RUN}`,
    seq,
    pos: seq,
    type,
    at: 1_000 + seq,
    data,
    meta: { producer: 't' },
  }) as StoredEvent;

const progressOf = (events: StoredEvent[]): string => {
  let out = '';
  const p = new RunProgress(plain, {
    write: (t) => (out += t),
    tty: false,
    now: () => 0,
    lily: (a) => `lily ${a}`,
  });
  for (const e of events) p.event(e);
  p.stop();
  return out;
};

describe('run output an operator can trust', () => {
  it('a failed attempt is never labelled retryable: the retry line says whether one follows', () => {
    const error = { code: 'blueprint_execution_failed', message: 'exit 1', data: {} };
    const ref = { stepId: 'a', dispatchId: `${RUN}/a/1` };
    const out = progressOf([
      event(1, 'step.failed', { ...ref, attempt: 1, error, retryable: true }),
      event(2, 'step.retry_scheduled', { stepId: 'a', attempt: 1, nextAttempt: 2, delayMs: 1000 }),
      event(3, 'step.failed', { ...ref, dispatchId: `${RUN}/a/2`, attempt: 2, error, retryable: true }),
    ]);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(out).not.toContain('retryable');
    expect(lines[1]).toContain('retry #2');
    expect(lines[2]).toMatch(/a {2}failed #2 {2}blueprint_execution_failed: exit 1$/);
  });

  it('runs show: the approvals NOTE is the answer’s comment, never the request’s reason', () => {
    const r = initialReceiptState();
    r.runId = RUN;
    r.status = 'succeeded';
    r.approvals = [
      {
        approvalId: 'ap1',
        stepId: 'a',
        attempt: 1,
        status: 'granted',
        reason: 'a human looks first',
        requestedAt: 1,
        decidedAt: 2,
        by: 'alice',
        comment: null,
      },
      {
        approvalId: 'ap2',
        stepId: 'b',
        attempt: 1,
        status: 'granted',
        reason: 'a human looks first',
        requestedAt: 1,
        decidedAt: 2,
        by: 'bob',
        comment: 'looks fine',
      },
    ];
    const text = renderRunDetails(plain, r, { ok: 0, total: 0 });
    const cells = (needle: string) =>
      (text.split('\n').find((l) => l.includes(needle)) ?? '')
        .split('│')
        .map((c) => c.trim())
        .slice(1, -1);
    expect(cells('APPROVAL')).toEqual(['APPROVAL', 'STEP', 'STATUS', 'BY', 'REASON', 'NOTE']);
    expect(cells('ap1')).toEqual(['ap1', 'a', 'granted', 'alice', 'a human looks first', '']);
    expect(cells('ap2')).toEqual(['ap2', 'b', 'granted', 'bob', 'a human looks first', 'looks fine']);
  });

  it('printable shows control characters instead of letting the terminal run them', () => {
    expect(printable('a\x1b[2Jb\x07c\u202ed')).toBe('a\\x1b[2Jb\\x07c\\u{202e}d');
    expect(printable('one\ntwo\tthree')).toBe('one\ntwo\tthree');
    expect(printable('one\ntwo', { oneLine: true })).toBe('one\\x0atwo');
  });
});
