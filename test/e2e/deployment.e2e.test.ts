/**
 * `lily up --workers 2` on a fresh project, then everything an operator does against a running
 * deployment, each command a separate `lily` process: status, a followed run, a tail that sees
 * a run started elsewhere, an approval granted from another process, replay --verify, rerun
 * --from-step, receipt --rebuild, cancel, the refusal paths; then `lily down` leaves nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lily, lilyBackground, pidAlive, requireBuild } from './cli-live-process.js';

let dir: string;
let pids: number[] = [];
const at = (...args: string[]) => lily([...args, '--dir', dir]);

const deployment = () =>
  JSON.parse(readFileSync(join(dir, '.lily', 'deployment.json'), 'utf8')) as {
    nats: { pid: number };
    processes: { id: string; pid: number }[];
  };

const lastRun = (job: string): string => {
  const list = at('runs', 'list', '--job', job, '--json').json() as { runs: { runId: string }[] };
  return list.runs[0]?.runId as string;
};

beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'lily-e2e-deploy-'));
  expect(at('init').code).toBe(0);
  writeFileSync(
    join(dir, '.lily', 'jobs', 'bad.job.yaml'),
    'id: bad\ntitle: runs ls, which policy does not allow\ntarget: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps:\n    - { id: sneaky, run: [ls, /] }\n',
  );
  writeFileSync(
    join(dir, '.lily', 'jobs', 'gated.job.yaml'),
    'id: gated\ntitle: waits for a human\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 60000 }\nbindings:\n  steps:\n    - { id: ship, run: [echo, shipped] }\n',
  );
  writeFileSync(
    join(dir, '.lily', 'jobs', 'slow.job.yaml'),
    'id: slow\ntitle: slow\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 60000 }\nbindings:\n  steps:\n    - { id: wait, run: [node, -e, "setTimeout(() => {}, 4000)"], timeout_ms: 60000 }\n',
  );
  const policy = readFileSync(join(dir, '.lily', 'policy.yaml'), 'utf8').replace(
    /^approvals: \[\]$/m,
    'approvals:\n  - { job: gated, step: ship, reason: "a human ships" }',
  );
  writeFileSync(join(dir, '.lily', 'policy.yaml'), policy);
}, 60_000);

afterAll(async () => {
  if (!dir) return;
  at('down', '--grace-ms', '2000');
  for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a local deployment: up, work, down', () => {
  it('up --workers 2 starts nats-server, an engine and two workers that all answer sys.ping', () => {
    const up = at('up', '--workers', '2');
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const state = deployment();
    pids = [state.nats.pid, ...state.processes.map((p) => p.pid)];
    expect(state.processes.map((p) => p.id)).toEqual(['engine', 'worker-1', 'worker-2']);
    for (const pid of pids) expect(pidAlive(pid)).toBe(true);

    const status = at('status', '--json');
    expect(status.code).toBe(0);
    const s = status.json() as {
      healthy: boolean;
      processes: { role: string; health: string; pid: number; rejected: unknown }[];
    };
    expect(s.healthy).toBe(true);
    // Each process says how many messages it refused, by reason (none yet).
    for (const p of s.processes) expect(p.rejected).toEqual({ total: 0, reasons: {} });
    expect(at('status').stdout).toMatch(/REFUSED/);
    expect(s.processes.filter((p) => p.role === 'engine' && p.health === 'ok')).toHaveLength(1);
    expect(s.processes.filter((p) => p.role === 'worker' && p.health === 'ok')).toHaveLength(2);
    expect(at('status').stdout).toMatch(/worker-2\s+│\s+worker\s+│\s+\d+\s+│\s+ok/);

    const again = at('up', '--json');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ alreadyUp: true });
    expect(deployment().processes.map((p) => p.pid)).toEqual(state.processes.map((p) => p.pid));
  }, 90_000);

  it('a tail in one process sees the events of a run followed to completion in another', async () => {
    const tail = lilyBackground(['jobs', 'tail', 'hello', '--json', '--dir', dir]);
    try {
      await tail.waitFor(/tailing job hello/, 'stderr');
      const run = at('jobs', 'run', 'hello', '--follow');
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/engine: deployment/);
      for (const step of ['greet', 'versions', 'done'])
        expect(run.stdout).toMatch(new RegExp(`✓ ${step}\\s+succeeded`));
      expect(run.stdout).toMatch(/status\s+succeeded/);
      await tail.waitFor(/"type":"run\.completed"/);
      const events = tail
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; stream: string });
      const runId = lastRun('hello');
      expect(events.every((e) => e.stream === `run/${runId}`)).toBe(true);
      expect(events.map((e) => e.type)).toContain('step.succeeded');
    } finally {
      expect(await tail.stop()).toBe(0);
    }
  }, 90_000);

  it('replays --verify a real run, rebuilds its receipt byte-identical, reruns it from a step', () => {
    const runId = lastRun('hello');
    const replay = at('runs', 'replay', runId, '--verify', '--json');
    expect(replay.code, replay.stderr).toBe(0);
    expect(replay.json()).toMatchObject({ verified: true, status: 'succeeded', recordedStatus: 'succeeded' });
    const receipt = at('runs', 'receipt', runId, '--rebuild', '--json');
    expect(receipt.code).toBe(0);
    expect(receipt.json()).toMatchObject({ rebuild: { identical: true } });

    const rerun = at('runs', 'rerun', runId, '--from-step', 'done', '--follow', '--json');
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(0);
    const doc = rerun.json() as { runId: string; receipt: { parent: unknown; steps: { stepId: string }[] } };
    expect(doc.runId).not.toBe(runId);
    expect(doc.receipt.parent).toMatchObject({ runId, fromStep: 'done' });
    expect(at('runs', 'replay', doc.runId, '--verify').code).toBe(0);
  }, 90_000);

  it('an approval granted from another process lets the waiting run finish', async () => {
    const run = lilyBackground(['jobs', 'run', 'gated', '--follow', '--dir', dir]);
    try {
      await run.waitFor(/waiting for approval/);
      const list = at('approvals', 'list', '--json').json() as {
        approvals: { approvalId: string; jobId: string; status: string }[];
      };
      const pending = list.approvals.filter((a) => a.jobId === 'gated' && a.status === 'pending');
      expect(pending).toHaveLength(1);
      const id = pending[0]?.approvalId as string;
      const grant = at('approvals', 'grant', id, '--comment', 'ship it', '--by', 'alice', '--json');
      expect(grant.code, grant.stderr).toBe(0);
      expect(grant.json()).toMatchObject({ approval: { status: 'granted', by: 'alice' }, delivered: true });
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toMatch(/granted by alice/);
      expect(at('approvals', 'grant', id).code).toBe(2); // approval_answered
    } finally {
      await run.stop();
    }
  }, 90_000);

  it('cancels a running run from another process', async () => {
    const run = lilyBackground(['jobs', 'run', 'slow', '--follow', '--dir', dir]);
    try {
      await run.waitFor(/wait\s+running/);
      const cancel = at('runs', 'cancel', lastRun('slow'), '--reason', 'not today');
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(await run.exited).toBe(1);
      expect(run.stdout()).toMatch(/status\s+cancelled/);
    } finally {
      await run.stop();
    }
  }, 90_000);

  it('refuses an unknown job (2), denies a command outside the allowlist (1, panel with the rule)', () => {
    const unknown = at('jobs', 'run', 'nope', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.json()).toMatchObject({ error: { code: 'job_not_found' } });
    const denied = at('jobs', 'run', 'bad', '--follow');
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/sneaky #1\s+denied by policy \(rule commands\)/);
    expect(denied.stderr).toMatch(/job_policy_denied/);
    expect(denied.stderr).toMatch(/rule: commands/);
    expect(denied.stderr).toMatch(/command ls \(\/\S*\/ls\) is not in the command allowlist/);
  }, 90_000);

  it('down stops every process and nats-server; a second down finds nothing', () => {
    const down = at('down', '--grace-ms', '5000', '--json');
    expect(down.code, down.stderr).toBe(0);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    expect(at('status').code).toBe(1);
    expect(at('down').stdout).toMatch(/nothing was running/);
  }, 90_000);

  it('a stale deployment.json never makes up refuse nor down kill a stranger', async () => {
    const stranger: ChildProcess = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const pid = stranger.pid as number;
      const stale = {
        version: 1,
        namespace: 'default',
        nats: { managed: false, url: 'nats://127.0.0.1:1' },
        processes: [
          {
            role: 'engine',
            id: 'engine',
            pid,
            startedAt: 1,
            log: '/dev/null',
            cmdlineMarker: 'daemon-main.js engine',
          },
        ],
      };
      writeFileSync(join(dir, '.lily', 'deployment.json'), JSON.stringify(stale));
      const down = at('down', '--json');
      expect(down.code).toBe(0);
      expect(down.json()).toMatchObject({ processes: [{ id: 'engine', outcome: 'not_ours' }] });
      expect(pidAlive(pid)).toBe(true);
      writeFileSync(join(dir, '.lily', 'deployment.json'), JSON.stringify(stale));
      const up = at('up', '--workers', '1');
      expect(up.code, up.stderr).toBe(0);
      expect(pidAlive(pid)).toBe(true);
      const state = deployment();
      pids = [state.nats.pid, ...state.processes.map((p) => p.pid)];
      expect(at('down', '--grace-ms', '5000').code).toBe(0);
      for (const p of pids) expect(pidAlive(p)).toBe(false);
      expect(pidAlive(pid)).toBe(true);
    } finally {
      stranger.kill('SIGKILL');
    }
  }, 90_000);
});
