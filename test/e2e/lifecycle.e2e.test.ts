/**
 * One lifecycle per project: ephemeral engines other terminals can find, `up` and `down` that
 * never race or leave a process behind. Each command is a separate `lily` process; after each
 * scenario no process of the project is alive (checked by pid, from every command line that
 * names the project directory).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lily, lilyBackground, requireBuild } from './cli-live-process.js';

let dir: string;
const at = (...args: string[]) => lily([...args, '--dir', dir]);

/** Pids of live processes whose command line names the project (daemons, nats-server, lily commands). */
const projectPids = (): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return [];
        const cmdline = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
        return cmdline.includes(dir) ? [Number(d)] : [];
      } catch {
        return [];
      }
    });

const nothingAlive = async () => {
  for (let i = 0; i < 50 && projectPids().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  expect(projectPids()).toEqual([]);
  expect(existsSync(join(dir, '.lily', 'deployment.json'))).toBe(false);
};

beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'lily-e2e-lifecycle-'));
  expect(at('init').code).toBe(0);
  writeFileSync(
    join(dir, '.lily', 'jobs', 'gated.job.yaml'),
    'id: gated\ntitle: waits for a human\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 120000 }\nbindings:\n  steps:\n    - { id: ship, run: [echo, shipped] }\n',
  );
  writeFileSync(
    join(dir, '.lily', 'jobs', 'slow.job.yaml'),
    'id: slow\ntitle: slow\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 120000 }\nbindings:\n  steps:\n    - { id: wait, run: [node, -e, "setTimeout(() => {}, 2500)"], timeout_ms: 60000 }\n',
  );
  const policy = readFileSync(join(dir, '.lily', 'policy.yaml'), 'utf8').replace(
    /^approvals: \[\]$/m,
    'approvals:\n  - { job: gated, step: ship, reason: "a human ships" }',
  );
  writeFileSync(join(dir, '.lily', 'policy.yaml'), policy);
}, 60_000);

afterAll(() => {
  if (!dir) return;
  at('down', '--grace-ms', '1000');
  for (const pid of projectPids()) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('ephemeral engines other terminals find', () => {
  it('an approval granted from a second CLI process completes a run followed by a first one', async () => {
    const run = lilyBackground(['jobs', 'run', 'gated', '--follow', '--dir', dir]);
    try {
      await run.waitFor(/waiting for approval (\S+)/);
      const id = /waiting for approval (\S+)/.exec(run.stdout())?.[1] as string;
      const status = at('status', '--json');
      expect(status.json()).toMatchObject({
        up: true,
        kind: 'ephemeral',
        processes: [{ id: 'engine', health: 'ok', pid: run.child.pid }],
      });
      const grant = at('approvals', 'grant', id, '--comment', 'from terminal 2');
      expect(grant.code, grant.stderr).toBe(0);
      expect(grant.stdout).toContain('delivered to the run');
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toMatch(/status\s+succeeded/);
    } finally {
      await run.stop();
    }
    await nothingAlive();
  }, 90_000);

  it('a run cancelled from another terminal stops the ephemeral run', async () => {
    const run = lilyBackground(['jobs', 'run', 'slow', '--follow', '--dir', dir]);
    try {
      await run.waitFor(/wait\s+running/);
      const runId = /run (\S+) of job slow/.exec(run.stdout())?.[1] as string;
      const cancel = at('runs', 'cancel', runId, '--reason', 'from terminal 2');
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(await run.exited).toBe(1);
      expect(run.stdout()).toMatch(/status\s+cancelled/);
    } finally {
      await run.stop();
    }
    await nothingAlive();
  }, 90_000);

  it('two ephemeral runs at once take turns: both succeed, the second says it waited', async () => {
    const first = lilyBackground(['jobs', 'run', 'slow', '--json', '--dir', dir]);
    const second = lilyBackground(['jobs', 'run', 'slow', '--json', '--dir', dir]);
    const codes = await Promise.all([first.exited, second.exited]);
    expect(codes).toEqual([0, 0]);
    const docs = [first, second].map((r) => JSON.parse(r.stdout()) as { runId: string; status: string });
    expect(docs.map((d) => d.status)).toEqual(['succeeded', 'succeeded']);
    expect(docs[0]?.runId).not.toBe(docs[1]?.runId);
    expect(first.stderr() + second.stderr()).toMatch(
      /waiting for the ephemeral engine of another command \(pid \d+/,
    );
    await nothingAlive();
  }, 90_000);

  it('lily up during an ephemeral run refuses (lifecycle_busy) and leaves no dead deployment', async () => {
    const run = lilyBackground(['jobs', 'run', 'slow', '--follow', '--dir', dir]);
    try {
      await run.waitFor(/wait\s+running/);
      const up = at('up', '--json');
      expect(up.code).toBe(1);
      expect(up.json()).toMatchObject({
        error: { code: 'lifecycle_busy', data: { holder: { what: 'ephemeral' } } },
      });
      expect(await run.exited).toBe(0);
    } finally {
      await run.stop();
    }
    await nothingAlive();
  }, 90_000);
});

describe('up and down never leave a process behind', () => {
  it('two concurrent lily up: one starts the deployment, the other finds it up; down stops everything', async () => {
    const ups = [1, 2].map(() => lilyBackground(['up', '--workers', '1', '--json', '--dir', dir]));
    expect(await Promise.all(ups.map((u) => u.exited))).toEqual([0, 0]);
    const docs = ups.map((u) => JSON.parse(u.stdout()) as { alreadyUp: boolean });
    expect(docs.map((d) => d.alreadyUp).sort()).toEqual([false, true]);
    expect(at('status', '--json').json()).toMatchObject({ healthy: true, kind: 'deployment' });
    expect(at('down').code).toBe(0);
    await nothingAlive();
  }, 120_000);

  it('rm -rf .lily/nats while up: jobs run still uses the deployment, down stops the server it cannot see', async () => {
    expect(at('up', '--workers', '1').code).toBe(0);
    rmSync(join(dir, '.lily', 'nats'), { recursive: true, force: true });
    const run = at('jobs', 'run', 'slow', '--follow', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ engine: 'deployment', status: 'succeeded' });
    const down = at('down', '--json');
    expect(down.code).toBe(0);
    expect(down.json()).toMatchObject({ orphans: [{ id: 'nats-server', outcome: 'stopped' }] });
    await nothingAlive();
  }, 120_000);

  it('a jobs tail ends (exit 1, saying why) when lily down stops the deployment under it', async () => {
    expect(at('up', '--workers', '1').code).toBe(0);
    const tail = lilyBackground(['jobs', 'tail', 'hello', '--dir', dir]);
    try {
      await tail.waitFor(/tailing job hello/, 'stderr');
      expect(at('down').code).toBe(0);
      expect(await tail.exited).toBe(1);
      expect(tail.stderr()).toMatch(/bus_unavailable/);
      expect(tail.stderr()).toContain("the project's NATS stopped");
    } finally {
      await tail.stop();
    }
    await nothingAlive();
  }, 90_000);
});
