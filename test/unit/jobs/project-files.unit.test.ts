import { describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { parseJobSpec } from '../../../src/blueprints/jobs/parse.js';
import { resolveJob } from '../../../src/blueprints/jobs/resolve.js';
import type { ErrorCode } from '../../../src/contracts/error-codes.js';
import { hasErrorCode } from '../../../src/contracts/errors.js';
import { policyCapsCheck } from '../../../src/project/caps-check.js';
import { parseConfig } from '../../../src/project/config.js';
import { cronCheck } from '../../../src/project/cron-check.js';
import { parsePolicy } from '../../../src/project/policy.js';
import { CONFIG_TEMPLATE, HELLO_JOB_TEMPLATE, POLICY_TEMPLATE } from '../../../src/project/templates.js';

const issuesOf = (fn: () => unknown, code: ErrorCode) => {
  try {
    fn();
  } catch (e) {
    if (!hasErrorCode(e, code)) throw e;
    return e.data.issues as { path: string; message: string; line?: number; column?: number }[];
  }
  throw new Error(`expected ${code}`);
};

describe('the files lily init writes', () => {
  it('config.yaml is valid', () => {
    expect(parseConfig(CONFIG_TEMPLATE, 'config.yaml')).toMatchObject({
      namespace: 'default',
      nats: { managed: true },
      workers: 1,
      packs: [],
    });
  });

  it('policy.yaml is valid and allows what the example job runs', () => {
    const policy = parsePolicy(POLICY_TEMPLATE, 'policy.yaml');
    expect(policy.default_principal).toBe('operator');
    expect(policy.executors).toContain('command');
    expect(policy.commands).toEqual(expect.arrayContaining(['node', 'echo']));
  });

  it('the hello job resolves to a pipeline.v1 plan within the policy caps', () => {
    const policy = parsePolicy(POLICY_TEMPLATE, 'policy.yaml');
    const job = parseJobSpec(HELLO_JOB_TEMPLATE, {
      file: '.lily/jobs/hello.job.yaml',
      checks: [cronCheck, policyCapsCheck(policy)],
    });
    const resolved = resolveJob(createBuiltinCatalog(), job.spec);
    expect(resolved.blueprint.id).toBe('pipeline.v1');
    const argv0 = resolved.plan.steps.map((s) => (s.with.argv as string[])[0]);
    for (const command of argv0) expect(policy.commands).toContain(command);
  });
});

describe('config.yaml', () => {
  it('defaults everything for an empty file', () => {
    expect(parseConfig('', 'c.yaml')).toEqual({
      namespace: 'default',
      nats: { managed: true },
      workers: 1,
      packs: [],
      retention: {},
      log_level: 'info',
    });
  });

  it('leaves the projector to the engine unless told (inline or thread); nothing else is a projector', () => {
    expect(parseConfig('', 'c.yaml').projector).toBeUndefined();
    expect(parseConfig('projector: thread\n', 'c.yaml').projector).toBe('thread');
    expect(parseConfig('projector: inline\n', 'c.yaml').projector).toBe('inline');
    expect(issuesOf(() => parseConfig('projector: fork\n', 'c.yaml'), 'config_invalid')).toEqual([
      expect.objectContaining({ path: 'projector' }),
    ]);
  });

  it('takes a NATS url', () => {
    expect(parseConfig('nats: { url: "nats://127.0.0.1:4222" }\n', 'c.yaml').nats).toEqual({
      managed: false,
      url: 'nats://127.0.0.1:4222',
    });
  });

  it('config_invalid with lines: unknown keys, bad namespace, url and managed together', () => {
    const text = 'namespace: "a.b"\nnats:\n  managed: true\n  url: nats://x:1\nworkerz: 2\n';
    const issues = issuesOf(() => parseConfig(text, 'c.yaml'), 'config_invalid');
    expect(issues.map((i) => [i.path, i.line])).toEqual(
      expect.arrayContaining([
        ['namespace', 1],
        ['nats.managed', 3],
        ['workerz', 5],
      ]),
    );
  });
});

describe('policy.yaml', () => {
  it('defaults to the empty policy', () => {
    const policy = parsePolicy('', 'p.yaml');
    expect(policy.executors).toEqual([]);
    expect(policy.principals).toEqual({ operator: { capabilities: [] } });
  });

  it('policy_invalid: a rule without a matcher, an unknown default principal, unknown keys', () => {
    const text = [
      'default_principal: robot',
      'approvals:',
      '  - reason: why',
      'require_dry_run:',
      '  - { capability: deploy, when: always }',
      '',
    ].join('\n');
    const issues = issuesOf(() => parsePolicy(text, 'p.yaml'), 'policy_invalid');
    expect(issues.map((i) => [i.path, i.line])).toEqual(
      expect.arrayContaining([
        ['approvals.0', 3],
        ['require_dry_run.0.when', 5],
      ]),
    );
  });

  it('an unknown default principal is refused at its line', () => {
    const issues = issuesOf(() => parsePolicy('default_principal: robot\n', 'p.yaml'), 'policy_invalid');
    expect(issues).toEqual([expect.objectContaining({ path: 'default_principal', line: 1 })]);
  });
});

describe('project checks on jobs', () => {
  const job = (extra: string) =>
    `id: j\ntitle: J\ntarget: { kind: blueprint, id: command.v1 }\nbindings: { run: [x] }\n${extra}`;

  it('cronCheck refuses what croner refuses, at trigger.cron', () => {
    const issues = issuesOf(
      () =>
        parseJobSpec(job('trigger:\n  cron: "61 * * * *"\n'), { file: 'j.job.yaml', checks: [cronCheck] }),
      'job_invalid_spec',
    );
    expect(issues).toEqual([expect.objectContaining({ path: 'trigger.cron', line: 6 })]);
    expect(issues[0]?.message).toMatch(/minute/);
  });

  it('cronCheck refuses a schedule that can never fire, and accepts a rare one', () => {
    for (const cron of ['0 0 31 2 *', '0 0 30 2 *', '0 0 31 4,6,9,11 *']) {
      const issues = issuesOf(
        () => parseJobSpec(job(`trigger:\n  cron: "${cron}"\n`), { file: 'j.job.yaml', checks: [cronCheck] }),
        'job_invalid_spec',
      );
      expect(issues).toEqual([expect.objectContaining({ path: 'trigger.cron', line: 6 })]);
      expect(issues[0]?.message).toMatch(/never fires/);
    }
    expect(() =>
      parseJobSpec(job('trigger:\n  cron: "0 0 29 2 *"\n'), { file: 'j.job.yaml', checks: [cronCheck] }),
    ).not.toThrow();
  });

  it('cronCheck accepts nicknames and 6-field expressions', () => {
    for (const cron of ['@daily', '0 */5 * * * *']) {
      expect(() =>
        parseJobSpec(job(`trigger: { cron: "${cron}", timezone: Europe/Paris }\n`), {
          file: 'j.job.yaml',
          checks: [cronCheck],
        }),
      ).not.toThrow();
    }
  });

  it('policyCapsCheck refuses runtimes above the caps', () => {
    const policy = parsePolicy('caps: { timeout_ms: 1000, concurrency: 2 }\n', 'p.yaml');
    const issues = issuesOf(
      () =>
        parseJobSpec(job('runtime: { timeout_ms: 5000, concurrency: 2 }\n'), {
          file: 'j.job.yaml',
          checks: [policyCapsCheck(policy)],
        }),
      'job_invalid_spec',
    );
    expect(issues).toEqual([expect.objectContaining({ path: 'runtime.timeout_ms', line: 5 })]);
  });
});
