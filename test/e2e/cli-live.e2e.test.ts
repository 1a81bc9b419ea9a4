/**
 * Live commands without a deployment: `jobs run` brings up an ephemeral engine (managed
 * nats-server, engine and worker in the CLI process) and takes it down again; the commands
 * that need a running engine say `bus_unavailable` and how to get one.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lily, requireBuild } from './cli-live-process.js';

let dir: string;
const at = (args: string[], env?: Record<string, string | undefined>) =>
  lily([...args, '--dir', dir], { env });

const nothingRunning = () => {
  expect(existsSync(join(dir, '.lily', 'nats', 'state.json'))).toBe(false);
  expect(existsSync(join(dir, '.lily', 'deployment.json'))).toBe(false);
};

beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'lily-e2e-live-'));
  expect(at(['init']).code).toBe(0);
  writeFileSync(
    join(dir, '.lily', 'jobs', 'badbind.job.yaml'),
    'id: badbind\ntitle: bindings the blueprint refuses\ntarget: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps: "not a list"\n',
  );
}, 60_000);

afterAll(() => {
  if (!dir) return;
  at(['down', '--grace-ms', '2000']);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('jobs run without a deployment (ephemeral engine)', () => {
  it('follows hello on a fresh project to completion, then leaves nothing running', () => {
    const run = at(['jobs', 'run', 'hello', '--follow']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/engine: ephemeral/);
    for (const step of ['greet', 'versions', 'done']) {
      expect(run.stdout).toMatch(new RegExp(`▸ ${step}\\s+running #1`));
      expect(run.stdout).toMatch(new RegExp(`✓ ${step}\\s+succeeded #1`));
    }
    expect(run.stdout).toMatch(/status\s+succeeded/);
    expect(run.stdout).toMatch(/steps\s+3\/3 succeeded/);
    nothingRunning();
    expect(readdirSync(join(dir, '.lily', 'runs', 'hello'))).toHaveLength(1);
  }, 60_000);

  it('without --follow waits anyway (the engine dies with the command); --json has the outcome and input', () => {
    const run = at(['jobs', 'run', 'hello', '--input', 'n=3', '--input', 'who=lily', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json() as { runId: string; engine: string; status: string; receipt: { input: unknown } };
    expect(doc).toMatchObject({ engine: 'ephemeral', status: 'succeeded' });
    expect(doc.receipt.input).toMatchObject({ n: 3, who: 'lily' });
    nothingRunning();
    const rerun = at(['runs', 'rerun', doc.runId, '--from-step', 'done', '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json()).toMatchObject({ status: 'succeeded', receipt: { parent: { runId: doc.runId } } });
    expect(at(['runs', 'replay', doc.runId, '--verify']).code).toBe(0);
  }, 60_000);

  it('--idempotency-key: a repeat returns the first run (existing: true), across ephemeral engines', () => {
    const first = at(['jobs', 'run', 'hello', '--idempotency-key', 'e2e-key-1', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const doc = first.json() as { runId: string; existing: boolean; status: string };
    expect(doc).toMatchObject({ existing: false, status: 'succeeded' });
    const again = at(['jobs', 'run', 'hello', '--idempotency-key', 'e2e-key-1', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ runId: doc.runId, existing: true, status: 'succeeded' });
    const human = at(['jobs', 'run', 'hello', '--idempotency-key', 'e2e-key-1']);
    expect(human.stderr).toContain(`run ${doc.runId} was already requested with this idempotency key`);
    const other = at(['jobs', 'run', 'hello', '--input', 'n=4', '--idempotency-key', 'e2e-key-1', '--json']);
    expect(other.code).toBe(2);
    expect(other.json()).toMatchObject({
      error: { code: 'idempotency_key_reused', data: { runId: doc.runId } },
    });
    const bad = at(['jobs', 'run', 'hello', '--idempotency-key', 'has space']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/usage_invalid/);
    nothingRunning();
  }, 90_000);

  it('refuses bad bindings (2, job_bindings_invalid) and an unknown job (2, job_not_found)', () => {
    const bad = at(['jobs', 'run', 'badbind', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json()).toMatchObject({ error: { code: 'job_bindings_invalid' } });
    const unknown = at(['jobs', 'run', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/job_not_found/);
    nothingRunning();
  }, 60_000);

  it('says how to install nats-server when there is none', () => {
    const env = { LILY_NATS_SERVER: '/nonexistent/nats-server', PATH: dirname(process.execPath) };
    const run = at(['jobs', 'run', 'hello', '--json'], env);
    expect(run.code).toBe(1);
    const doc = run.json() as { error: { code: string; message: string } };
    expect(doc.error.code).toBe('nats_server_missing');
    expect(doc.error.message).toMatch(/apt-get install nats-server|LILY_NATS_SERVER/);
    const up = at(['up'], env);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/nats_server_missing/);
    nothingRunning();
  });

  it('bad command lines are usage_invalid (2)', () => {
    expect(at(['jobs', 'run', 'hello', '--input', 'novalue']).code).toBe(2);
    expect(at(['jobs', 'run', 'hello', '--input-file', join(dir, 'missing.yaml')]).code).toBe(2);
    expect(at(['up', '--workers', 'many']).code).toBe(2);
    expect(at(['down', '--grace-ms', '-1']).code).toBe(2);
  });
});

describe('commands that need a running engine', () => {
  it('cancelling a finished run says so (run_already_finished, exit 2) without an engine; tail and resolve say bus_unavailable and point at lily up (with the --dir given)', () => {
    const runId = (at(['runs', 'list', '--json']).json() as { runs: { runId: string }[] }).runs[0]
      ?.runId as string;
    const cancel = at(['runs', 'cancel', runId, '--json']);
    expect(cancel.code).toBe(2);
    expect(cancel.json()).toMatchObject({
      error: { code: 'run_already_finished', data: { runId, status: 'succeeded' } },
    });
    const human = at(['runs', 'cancel', runId]);
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/run_already_finished/);
    expect(human.stderr).toContain('has already finished (succeeded)');
    const tail = at(['jobs', 'tail', 'hello']);
    expect(tail.code).toBe(1);
    expect(tail.stderr).toMatch(/bus_unavailable/);
    expect(tail.stderr).toContain(`lily --dir ${dir} up`);
    const resolve = at(['runs', 'resolve', runId, `${runId}/done/1`]);
    expect(resolve.code).toBe(2); // neither --succeeded nor --failed
  });

  it('status without a deployment exits 1; approvals list reads the log', () => {
    const status = at(['status', '--json']);
    expect(status.code).toBe(1);
    expect(status.json()).toMatchObject({ up: false, processes: [] });
    const approvals = at(['approvals', 'list', '--json']);
    expect(approvals.code).toBe(0);
    expect(approvals.json()).toEqual({ approvals: [] });
  });
});
