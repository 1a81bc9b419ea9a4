import { describe, expect, it } from 'vitest';
import type { PathVerdict } from '../../../src/actors/policy/workspace.js';
import { decidePolicy, type PolicyRequest } from '../../../src/policy/decide.js';
import { policySchema } from '../../../src/project/policy.js';

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
const decide = (p: ReturnType<typeof policy>, r: PolicyRequest) => decidePolicy(p, r, paths);

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
