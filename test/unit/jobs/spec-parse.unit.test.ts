import { describe, expect, it } from 'vitest';
import { jobIdFromFile, parseJobSpec } from '../../../src/blueprints/jobs/parse.js';
import { isCronTrigger } from '../../../src/blueprints/jobs/spec.js';
import { hasErrorCode, type LilyError } from '../../../src/contracts/errors.js';

const FILE = '/p/.lily/jobs/demo.job.yaml';

const minimal = `id: demo
title: Demo
target:
  kind: blueprint
  id: command.v1
bindings:
  run: [echo, hi]
`;

/** Runs `fn`, expects a `job_invalid_spec`, returns its issues. */
const issuesOf = (text: string, file = FILE) => {
  try {
    parseJobSpec(text, { file });
  } catch (e) {
    expect(hasErrorCode(e, 'job_invalid_spec')).toBe(true);
    const data = (e as LilyError).data as { file: string; issues: Record<string, unknown>[] };
    expect(data.file).toBe(file);
    return data.issues;
  }
  throw new Error('expected job_invalid_spec');
};

describe('parseJobSpec', () => {
  it('fills defaults for a minimal spec', () => {
    const { spec, file } = parseJobSpec(minimal, { file: FILE });
    expect(file).toBe(FILE);
    expect(spec.id).toBe('demo');
    expect(spec.trigger).toEqual({ manual: true });
    expect(spec.runtime).toEqual({ concurrency: 1, dry_run: false });
    expect(spec.input).toEqual({});
    expect(spec.output).toEqual({ retention: {} });
    expect(spec.bindings).toEqual({ run: ['echo', 'hi'] });
  });

  it('parses a cron trigger with its defaults', () => {
    const { spec } = parseJobSpec(`${minimal}trigger:\n  cron: "*/5 * * * *"\n`, { file: FILE });
    expect(isCronTrigger(spec.trigger)).toBe(true);
    expect(spec.trigger).toEqual({
      cron: '*/5 * * * *',
      timezone: 'UTC',
      overlap: 'skip',
      catchup: { window_ms: 0, max_runs: 1 },
    });
  });

  it('refuses an unknown top-level key at its line and column', () => {
    const issues = issuesOf(`${minimal}retries: 3\n`);
    expect(issues).toEqual([
      { path: 'retries', message: 'unknown field "retries"', code: 'unrecognized_keys', line: 8, column: 1 },
    ]);
  });

  it('refuses unknown nested keys, each at its own line', () => {
    const text = `${minimal}runtime:\n  timeout_ms: 1000\n  retry: 2\ntrigger:\n  manual: true\n  cron_ish: x\n`;
    const issues = issuesOf(text);
    expect(issues.map((i) => [i.path, i.line, i.column])).toEqual([
      ['trigger.cron_ish', 13, 3],
      ['runtime.retry', 10, 3],
    ]);
  });

  it('points a wrong value at the value itself', () => {
    const issues = issuesOf(minimal.replace('kind: blueprint', 'kind: workflow'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: 'target.kind', line: 4, column: 9 });
  });

  it('points a missing field at its parent', () => {
    const issues = issuesOf(minimal.replace('  id: command.v1\n', ''));
    expect(issues[0]).toMatchObject({ path: 'target.id', line: 4 });
  });

  it('checks cron trigger fields: overlap, timezone, cron shape', () => {
    const text = `${minimal}trigger:\n  cron: "daily"\n  timezone: Mars/Olympus\n  overlap: sometimes\n`;
    const paths = issuesOf(text).map((i) => [i.path, i.line]);
    expect(paths).toEqual([
      ['trigger.cron', 9],
      ['trigger.timezone', 10],
      ['trigger.overlap', 11],
    ]);
  });

  it('reports YAML syntax errors with line numbers', () => {
    const text = 'id: demo\ntitle: Demo\ntarget:\n  kind: blueprint\n   id: x\n';
    const issues = issuesOf(text);
    expect(issues.length).toBeGreaterThan(0);
    // yaml reports the compact mapping that cannot hold `id` as a nested key: line 4, column 9.
    expect(issues[0]).toMatchObject({ code: 'yaml_syntax', line: 4, column: 9 });
  });

  it('refuses duplicate keys', () => {
    const issues = issuesOf(`${minimal}title: Again\n`);
    expect(issues[0]).toMatchObject({ code: 'yaml_syntax', line: 8 });
    expect(String(issues[0]?.message)).toMatch(/unique/);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [n, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
    ] as const) {
      rows.push(`${n}: &${n} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const issues = issuesOf(`${rows.join('\n')}\n`);
    expect(issues[0]).toMatchObject({ code: 'yaml_aliases' });
    expect(String(issues[0]?.message)).toMatch(/alias/i);
  });

  it('accepts a few anchors and aliases', () => {
    const text = `${minimal}input: { a: &n 3 }\noutput:\n  retention: { keep_last: *n }\n`;
    const { spec } = parseJobSpec(text, { file: FILE });
    expect([spec.input, spec.output.retention.keep_last]).toEqual([{ a: 3 }, 3]);
  });

  it('refuses output.dir at its line, saying where receipts go', () => {
    const issues = issuesOf(`${minimal}output:\n  dir: ../..\n`);
    expect(issues).toEqual([expect.objectContaining({ path: 'output.dir', line: expect.any(Number) })]);
    expect(String(issues[0]?.message)).toContain('.lily/runs/<job id>/');
  });

  it('refuses an id that differs from the file name, at the id line', () => {
    const issues = issuesOf(minimal, '/p/.lily/jobs/other.job.yaml');
    expect(issues).toEqual([
      expect.objectContaining({ path: 'id', code: 'id_mismatch', line: 1, column: 5 }),
    ]);
  });

  it('refuses an empty file and a non-object document', () => {
    expect(issuesOf('').map((i) => i.path)).toEqual(['id', 'title', 'target']);
    expect(issuesOf('- a\n- b\n')[0]).toMatchObject({ path: '', line: 1 });
  });

  it('runs extra checks only on a valid spec, reporting at their paths', () => {
    const check = () => [{ path: ['bindings', 'run'], message: 'no echo here' }];
    try {
      parseJobSpec(minimal, { file: FILE, checks: [check] });
      expect.unreachable();
    } catch (e) {
      expect((e as LilyError).data.issues).toEqual([
        { path: 'bindings.run', message: 'no echo here', code: 'custom', line: 7, column: 8 },
      ]);
    }
  });

  it('says where the first problem is in the message', () => {
    expect(() => parseJobSpec(`${minimal}retries: 3\n`, { file: FILE })).toThrow(`${FILE}:8:1: retries`);
  });
});

describe('jobIdFromFile', () => {
  it('takes the id from a .job.yaml name', () => {
    expect(jobIdFromFile('/x/.lily/jobs/nightly.build.job.yaml')).toBe('nightly.build');
    expect(jobIdFromFile('C:\\p\\.lily\\jobs\\a.job.yaml')).toBe('a');
    expect(jobIdFromFile('/x/a.yaml')).toBeUndefined();
  });
});
