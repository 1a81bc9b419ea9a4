import { describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { parseJobSpec } from '../../../src/blueprints/jobs/parse.js';
import { resolveJob } from '../../../src/blueprints/jobs/resolve.js';
import { preflightPlan } from '../../../src/policy/preflight.js';
import { resolveProgram } from '../../../src/policy/programs.js';
import { parsePolicy } from '../../../src/policy/schema.js';
import { POLICY_TEMPLATE } from '../../../src/project/templates.js';
import { fakeExecutables } from '../../helpers/fake-executables.js';

const catalog = createBuiltinCatalog();
const everywhere = () => ({ ok: true as const, absolute: '/p', relative: '.' });
/** A machine where node, echo and npx are on the search path the gate would use. */
const disk = fakeExecutables({ '/usr/bin/node': 'exec', '/usr/bin/echo': 'exec', '/usr/bin/npx': 'exec' });
const onDisk = {
  checkPath: everywhere,
  resolveProgram: (program: string, cwd: string) =>
    resolveProgram(program, { searchPath: ['/usr/bin'], cwd: `/p/${cwd}` }, disk),
};

const planOf = (yaml: string) => {
  const { spec } = parseJobSpec(yaml, { file: 'j.job.yaml' });
  return resolveJob(catalog, spec).plan;
};
const job = (steps: string, runtime = '') =>
  `id: j\ntitle: J\ntarget: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps:\n${steps}${runtime}`;

describe('preflightPlan: a job against the policy before any run', () => {
  const policy = parsePolicy(POLICY_TEMPLATE, 'policy.yaml');

  it('with the init policy: a job without timeout_ms is denied by caps.timeout_ms, and says how to fix it', () => {
    const plan = planOf(job('    - id: a\n      run: [echo, hi]\n'));
    const findings = preflightPlan(policy, plan, { jobId: 'j', ...onDisk });
    expect(findings).toEqual([
      expect.objectContaining({ stepId: 'a', severity: 'error', rule: 'caps.timeout_ms' }),
    ]);
    expect(findings[0]).toMatchObject({ fix: expect.stringContaining('runtime.timeout_ms') });
  });

  it('names a command outside the allowlist, step by step', () => {
    const plan = planOf(
      job(
        '    - id: a\n      run: [echo, hi]\n    - id: b\n      run: [npx, cowsay]\n',
        'runtime: { timeout_ms: 1000 }\n',
      ),
    );
    const findings = preflightPlan(policy, plan, { jobId: 'j', ...onDisk });
    expect(findings).toEqual([
      expect.objectContaining({
        stepId: 'b',
        severity: 'error',
        rule: 'commands',
        fix: expect.stringContaining('commands'),
      }),
    ]);
  });

  it('checks the program that would run and the variables a step sets, as the gate does', () => {
    const plan = planOf(
      job(
        '    - id: a\n      run: [./x/echo, hi]\n    - id: b\n      run: [echo, hi]\n      env: { PATH: ./bin }\n',
        'runtime: { timeout_ms: 1000 }\n',
      ),
    );
    // An impostor named echo in the project: not the echo the allowlist names.
    const withImpostor = {
      ...onDisk,
      resolveProgram: (program: string, cwd: string) =>
        resolveProgram(
          program,
          { searchPath: ['/usr/bin'], cwd: `/p/${cwd}` },
          fakeExecutables({ '/usr/bin/echo': 'exec', '/usr/bin/node': 'exec', '/p/x/echo': 'exec' }),
        ),
    };
    const findings = preflightPlan(policy, plan, { jobId: 'j', ...withImpostor });
    expect(findings).toEqual([
      expect.objectContaining({
        stepId: 'a',
        rule: 'commands',
        reason: expect.stringContaining('/p/x/echo'),
        fix: expect.stringContaining('`path`'),
      }),
      expect.objectContaining({ stepId: 'b', rule: 'env', fix: expect.stringContaining('env.allow') }),
    ]);
  });

  it('notes the approvals and dry runs a run will need, without calling them errors', () => {
    const strict = parsePolicy(
      `${POLICY_TEMPLATE.replace('approvals: []', 'approvals: [{ step: a, reason: "a human looks first" }]').replace('require_dry_run: []', 'require_dry_run: [{ step: a }]')}`,
      'policy.yaml',
    );
    const plan = planOf(job('    - id: a\n      run: [echo, hi]\n', 'runtime: { timeout_ms: 1000 }\n'));
    const findings = preflightPlan(strict, plan, { jobId: 'j', ...onDisk });
    expect(findings.map((f) => [f.severity, f.rule])).toEqual([
      ['note', 'require_dry_run'],
      ['note', 'approvals'],
    ]);
  });

  it('a clean job has no findings', () => {
    const plan = planOf(job('    - id: a\n      run: [node, -e, "1"]\n', 'runtime: { timeout_ms: 1000 }\n'));
    expect(preflightPlan(policy, plan, { jobId: 'j', ...onDisk })).toEqual([]);
  });
});
