import { describe, expect, it } from 'vitest';
import type { PathVerdict } from '../../../src/actors/policy/workspace.js';
import { decidePolicy, type PolicyRequest } from '../../../src/policy/decide.js';
import { resolveProgram } from '../../../src/policy/programs.js';
import { policySchema } from '../../../src/project/policy.js';
import { fakeExecutables } from '../../helpers/fake-executables.js';

const policy = (over: Record<string, unknown> = {}) =>
  policySchema.parse({
    principals: { operator: { capabilities: ['deploy'] }, admin: { capabilities: ['*'] } },
    executors: ['command', 'echo'],
    commands: ['node', 'npm'],
    workspace: { allow: ['**'], deny: ['secrets/**'] },
    ...over,
  });
const request = (over: Partial<PolicyRequest> = {}): PolicyRequest => ({
  jobId: 'build',
  stepId: 'compile',
  executor: 'command',
  sideEffects: 'external',
  idempotent: true,
  capabilities: [],
  argv: ['node', 'build.js'],
  paths: ['.'],
  timeoutMs: 1000,
  maxAttempts: 1,
  principal: 'operator',
  dryRun: false,
  dryRunProven: false,
  ...over,
});
const paths = (path: string): PathVerdict =>
  path.startsWith('secrets')
    ? { ok: false, reason: `path ${path} matches a deny rule` }
    : { ok: true, absolute: `/w/${path}`, relative: path };
const disk = fakeExecutables({
  '/usr/bin/node': 'exec',
  '/usr/bin/npm': { link: '../lib/node_modules/npm/bin/npm-cli.js' },
  '/usr/lib/node_modules/npm/bin/npm-cli.js': 'exec',
  '/usr/bin/rm': 'exec',
  '/w/x/node': 'exec',
});
const resolve = (program: string, cwd: string) =>
  resolveProgram(program, { searchPath: ['/usr/local/bin', '/usr/bin'], cwd: `/w/${cwd}` }, disk);
const decide = (p: ReturnType<typeof policy>, r: PolicyRequest) =>
  decidePolicy(p, r, { checkPath: paths, resolveProgram: resolve });

describe('decidePolicy', () => {
  it('allows what every rule allows', () => {
    expect(decide(policy(), request())).toEqual({ decision: 'allow', reasons: [] });
  });

  it('denies an executor or a command outside the allowlists', () => {
    expect(decide(policy(), request({ executor: 'sql_migrate' }))).toMatchObject({
      decision: 'deny',
      rule: 'executors',
    });
    expect(decide(policy(), request({ argv: ['rm', '-rf', '/'] }))).toMatchObject({
      decision: 'deny',
      rule: 'commands',
    });
    expect(decide(policy(), request({ argv: ['/usr/bin/node', 'x'] }))).toMatchObject({ decision: 'allow' });
    expect(decide(policy({ commands: ['*'] }), request({ argv: ['rm'] }))).toMatchObject({
      decision: 'allow',
    });
  });

  it('checks the program that would run, not its name: an impostor named node is refused', () => {
    expect(decide(policy(), request({ argv: ['./x/node'] }))).toMatchObject({
      decision: 'deny',
      rule: 'commands',
      reasons: ['command ./x/node (/w/x/node) is not in the command allowlist'],
    });
    expect(decide(policy(), request({ argv: ['node'], cwd: 'x' })).decision).toBe('allow');
    expect(decide(policy(), request({ argv: ['./node'], cwd: 'x' })).decision).toBe('deny');
    expect(decide(policy(), request({ argv: ['missing-tool'] }))).toMatchObject({
      decision: 'deny',
      reasons: [expect.stringMatching(/not on the policy's search path \(\/usr\/local\/bin:\/usr\/bin\)/)],
    });
  });

  it('checks the commands and variables of every gate of the step', () => {
    const gates = (argv: string[], env?: string[]) => [
      { id: 'check', executor: 'command', argv, ...(env ? { env } : {}) },
    ];
    expect(decide(policy(), request({ gates: gates(['npm', 'test']) })).decision).toBe('allow');
    expect(decide(policy(), request({ gates: gates(['./x/node']) }))).toMatchObject({
      decision: 'deny',
      rule: 'commands',
      reasons: [expect.stringMatching(/^gate check: command \.\/x\/node/)],
    });
    expect(decide(policy(), request({ gates: gates(['npm'], ['LD_PRELOAD']) }))).toMatchObject({
      decision: 'deny',
      rule: 'env',
      reasons: [expect.stringMatching(/^gate check sets LD_PRELOAD/)],
    });
  });

  it('denies variables that change what runs, with the fix in the reason', () => {
    expect(decide(policy(), request({ env: ['FOO', 'PATH'] }))).toEqual({
      decision: 'deny',
      rule: 'env',
      reasons: [
        "step sets PATH, which changes where programs are looked up; remove it from the step's env, or name PATH in policy.yaml env.allow to allow it on purpose",
      ],
    });
    expect(decide(policy(), request({ env: ['FOO'] })).decision).toBe('allow');
    expect(decide(policy({ env: { allow: ['*', 'PATH'] } }), request({ env: ['PATH'] })).decision).toBe(
      'allow',
    );
  });

  it('requires declared capabilities, and an explicit one for non-idempotent steps', () => {
    expect(decide(policy(), request({ capabilities: ['deploy'] })).decision).toBe('allow');
    expect(decide(policy(), request({ capabilities: ['hxo:force-merge'] }))).toMatchObject({
      decision: 'deny',
      rule: 'capabilities',
    });
    expect(decide(policy(), request({ idempotent: false }))).toMatchObject({
      decision: 'deny',
      reasons: ['principal operator lacks capability lily:non-idempotent (the step is not idempotent)'],
    });
    expect(decide(policy(), request({ idempotent: false, principal: 'admin' })).decision).toBe('allow');
    expect(decide(policy(), request({ principal: 'mallory' }))).toMatchObject({
      decision: 'deny',
      rule: 'principals',
    });
  });

  it('denies paths the workspace rules refuse', () => {
    expect(decide(policy(), request({ paths: ['src', 'secrets/key'] }))).toMatchObject({
      decision: 'deny',
      rule: 'workspace',
    });
  });

  it('enforces runtime caps', () => {
    const capped = policy({ caps: { timeout_ms: 500, max_attempts: 2 } });
    expect(decide(capped, request())).toMatchObject({ decision: 'deny', rule: 'caps.timeout_ms' });
    expect(decide(capped, request({ timeoutMs: undefined }))).toMatchObject({
      decision: 'deny',
      rule: 'caps.timeout_ms',
    });
    expect(decide(capped, request({ timeoutMs: 400, maxAttempts: 3 }))).toMatchObject({
      decision: 'deny',
      rule: 'caps.max_attempts',
    });
  });

  it('requires a proven dry run where a rule says so, except for the dry run itself', () => {
    const p = policy({ require_dry_run: [{ job: 'build' }] });
    expect(decide(p, request())).toMatchObject({ decision: 'deny', rule: 'require_dry_run' });
    expect(decide(p, request({ dryRun: true })).decision).toBe('allow');
    expect(decide(p, request({ dryRunProven: true })).decision).toBe('allow');
    expect(decide(p, request({ jobId: 'other' })).decision).toBe('allow');
  });

  it('asks for approval by policy rule or by plan, not in dry runs', () => {
    const p = policy({ approvals: [{ executor: 'command', reason: 'commands need a human' }] });
    expect(decide(p, request())).toEqual({
      decision: 'approval_required',
      rule: 'approvals',
      reasons: ['commands need a human'],
    });
    expect(decide(policy(), request({ planApproval: 'deploys to prod' }))).toMatchObject({
      decision: 'approval_required',
      rule: 'plan',
    });
    expect(decide(p, request({ dryRun: true })).decision).toBe('allow');
  });
});
