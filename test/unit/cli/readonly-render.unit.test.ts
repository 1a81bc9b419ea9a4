import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { JobLoadResult } from '../../../src/blueprints/jobs/repository.js';
import { eventLine } from '../../../src/cli/actions/event-line.js';
import { formatBytes, formatDuration, formatTime } from '../../../src/cli/render/format.js';
import { lineageMermaid } from '../../../src/cli/render/lineage.js';
import { retentionPolicies } from '../../../src/client/project/retention-policy.js';
import { configSchema } from '../../../src/project/config.js';
import { storedSample } from '../../helpers/eventstore-runs.js';

const c = pc.createColors(false);

describe('read-only command rendering', () => {
  it('formats durations, sizes and times', () => {
    expect([0, 340, 1_234, 123_000, 3_720_000].map(formatDuration)).toEqual([
      '0ms',
      '340ms',
      '1.2s',
      '2m03s',
      '1h02m',
    ]);
    expect(formatDuration(null)).toBe('');
    expect([512, 1536, 3 * 1024 * 1024].map(formatBytes)).toEqual(['512 B', '1.5 KiB', '3.0 MiB']);
    expect(formatTime(Date.UTC(2024, 0, 2, 3, 4, 5, 6))).toBe('2024-01-02 03:04:05Z');
  });

  it('one line per event with the fields people scan for', () => {
    const lines = storedSample('failed').map((e) => eventLine(c, e));
    expect(lines[0]).toMatch(/^ {3}1 {2}03:04:05\.006 {2}run\.requested\s+job=nightly\.report$/);
    expect(lines.find((l) => l.includes('step.failed'))).toMatch(/fetch#1 .*http_503 {2}retryable/);
    expect(lines.find((l) => l.includes('gate.passed'))).toContain('gate=lint');
    expect(lines[lines.length - 1]).toMatch(/run\.completed\s+failed {2}job_policy_denied$/);
  });

  it('lineage as a Mermaid flowchart: inputs point at what was made from them; missing inputs are marked', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const ref = {
      sha256: a,
      size: 1,
      mediaType: 'text/plain',
      name: 'out "x".txt',
      producer: 't',
      inputs: [b],
      createdAt: 0,
    };
    const text = lineageMermaid({
      root: a,
      nodes: [
        { sha256: a, refs: [ref], inputs: [b], missing: false },
        { sha256: b, refs: [], inputs: [], missing: true },
      ],
      edges: [[a, b]],
    });
    expect(text.split('\n')).toEqual([
      'flowchart LR',
      `  a${a.slice(0, 12)}["out 'x'.txt<br/>${a.slice(0, 12)}"]`,
      `  a${b.slice(0, 12)}[/"missing<br/>${b.slice(0, 12)}"/]`,
      `  a${b.slice(0, 12)} --> a${a.slice(0, 12)}`,
      `  style a${a.slice(0, 12)} stroke-width:3px`,
      '',
    ]);
  });

  it("retention: a job's output.retention overrides the config defaults key by key", () => {
    const config = configSchema.parse({ retention: { keep_last: 50, max_age_days: 30 } });
    const job = { ok: true, id: 'hello', job: { spec: { output: { retention: { keep_last: 2 } } } } };
    const policyFor = retentionPolicies(config, [job as unknown as JobLoadResult]);
    expect(policyFor('hello')).toEqual({ keepLast: 2, keepDays: 30 });
    expect(policyFor('gone')).toEqual({ keepLast: 50, keepDays: 30 });
  });
});
