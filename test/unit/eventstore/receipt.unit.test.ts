import { describe, expect, it } from 'vitest';
import { hashJson } from '../../../src/contracts/canonical-json.js';
import { renderEventsJsonl } from '../../../src/eventstore/projections/events-jsonl.js';
import { projectReceipt } from '../../../src/eventstore/projections/receipt.js';
import { artifactLink, renderSummary } from '../../../src/eventstore/projections/summary.js';
import { formatRunTimestamp, receiptRelativeDir } from '../../../src/eventstore/write-receipts.js';
import { SAMPLE_JOB_ID, SAMPLE_RUN_ID, storedSample } from '../../helpers/eventstore-runs.js';

describe('projectReceipt', () => {
  const receipt = projectReceipt(storedSample('failed'));

  it('pins the run: ids, blueprint, plan hash, kernel, env fingerprint, timestamps', () => {
    expect(receipt).toMatchObject({
      schema: 'lily.run_receipt@1',
      runId: SAMPLE_RUN_ID,
      jobId: SAMPLE_JOB_ID,
      status: 'failed',
      blueprint: { id: 'report', version: '1.2.0' },
      planHash: 'f'.repeat(64),
      kernelVersion: '0.1.0',
      env: { fingerprint: hashJson({ node: 'v20' }), vars: { node: 'v20' } },
      trigger: { kind: 'cron' },
    });
    const t0 = Date.UTC(2024, 0, 2, 3, 4, 5, 6);
    expect(receipt.timestamps).toEqual({
      requestedAt: t0,
      startedAt: t0 + 1,
      completedAt: t0 + 50,
      durationMs: 50,
    });
    expect(receipt.log).toEqual({
      stream: `run/${SAMPLE_RUN_ID}`,
      events: 18,
      firstPos: 1,
      lastPos: 18,
      lastSeq: 18,
    });
  });

  it('records each step: attempts with durations and outcomes, gates, status', () => {
    const [fetch, render, publish] = receipt.steps;
    expect(fetch?.attempts.map((a) => [a.attempt, a.outcome, a.durationMs, a.error?.code ?? null])).toEqual([
      [1, 'failed', 5, 'http_503'],
      [2, 'succeeded', 9, null],
    ]);
    expect(fetch).toMatchObject({ status: 'succeeded', durationMs: 14 });
    expect(render?.gates).toMatchObject([{ gateId: 'lint', outcome: 'passed', executor: 'cmd' }]);
    expect(render?.attempts[0]?.artifacts).toEqual(['a'.repeat(64)]);
    expect(publish).toMatchObject({ stepId: 'publish', status: 'denied', attempts: [] });
  });

  it('collects artifacts once, policy decisions, the error and the envelope', () => {
    expect(receipt.artifacts.map((a) => a.name)).toEqual(['report.md']);
    expect(receipt.policy.map((p) => [p.stepId, p.decision])).toEqual([
      ['fetch', 'allow'],
      ['publish', 'deny'],
    ]);
    expect(receipt.error).toEqual({
      code: 'job_policy_denied',
      message: 'publish denied',
      data: { stepId: 'publish' },
    });
    expect(receipt.envelope?.status).toBe('failed');
  });

  it('reports the last failed attempt when run.completed carries no error', () => {
    const events = storedSample('failed');
    const last = events.at(-1);
    if (!last) throw new Error('no events');
    const { error: _dropped, ...data } = last.data as Record<string, unknown>;
    const r = projectReceipt([...events.slice(0, -1), { ...last, data }]);
    expect(r.error?.code).toBe('http_503');
    expect(projectReceipt(storedSample('succeeded')).error).toBeNull();
  });
});

describe('renderSummary and renderEventsJsonl', () => {
  it('says what ran, what failed and why, and links artifacts', () => {
    const md = renderSummary(projectReceipt(storedSample('failed')));
    expect(md).toContain(`# Run ${SAMPLE_RUN_ID}: failed`);
    expect(md).toContain('| fetch | succeeded | 2 | 14 ms | - |');
    expect(md).toContain('`job_policy_denied`: publish denied');
    expect(md).toContain('policy deny for publish#1: publish needs capability net:publish');
    expect(md).toContain(`[report.md](${artifactLink('a'.repeat(64))})`);
    expect(artifactLink('ab'.repeat(32))).toBe(`../../../artifacts/sha256/ab/${'ab'.repeat(32)}`);
  });

  it('writes one canonical line per event', () => {
    const events = storedSample();
    const lines = renderEventsJsonl(events).split('\n');
    expect(lines).toHaveLength(events.length + 1);
    expect(JSON.parse(lines[0] ?? '')).toEqual(events[0]);
    expect(lines[0]?.startsWith('{"at":')).toBe(true);
  });

  it('names the run directory from the request time and ids', () => {
    expect(formatRunTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5, 6))).toBe('20240102T030405006Z');
    expect(receiptRelativeDir(projectReceipt(storedSample()))).toBe(
      `${SAMPLE_JOB_ID}/20240102T030405006Z-${SAMPLE_RUN_ID}`,
    );
    expect(() => receiptRelativeDir(projectReceipt([]))).toThrow(/no run.requested/);
  });
});
