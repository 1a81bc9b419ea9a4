import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../../src/actors/executors/run-process.js';
import { stepCgroupsAvailable } from '../../../src/actors/executors/step-cgroup.js';

const dir = mkdtempSync(join(tmpdir(), 'lily-proc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = { cwd: dir, env: { PATH: process.env.PATH ?? '' }, maxOutputBytes: 1024 };

/** Alive and not a zombie (a killed orphan may wait a while for init to reap it). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('runProcess', () => {
  it('runs argv without a shell: metacharacters are plain arguments', async () => {
    const r = await runProcess({
      ...base,
      argv: ['node', '-e', 'console.log(process.argv.slice(1).join("|"))', '$HOME', '; rm -rf /', '*'],
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString().trim()).toBe('$HOME|; rm -rf /|*');
  });

  it('passes only the given environment and reports the exit code', async () => {
    const r = await runProcess({
      ...base,
      env: { ...base.env, ONLY: 'me' },
      argv: [
        'node',
        '-e',
        'process.stdout.write(String(process.env.ONLY) + String(process.env.HOME)); process.exit(3)',
      ],
    });
    expect(r.exitCode).toBe(3);
    expect(r.stdout.toString()).toBe('meundefined');
  });

  it('caps output and counts what it dropped', async () => {
    const r = await runProcess({
      ...base,
      argv: ['node', '-e', 'process.stdout.write("x".repeat(5000)); process.stderr.write("e".repeat(10))'],
    });
    expect(r.stdout.length).toBe(1024);
    expect(r.stdoutBytes).toBe(5000);
    expect(r.stderr.toString()).toBe('e'.repeat(10));
  });

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const script = `const c = require('child_process').spawn('node', ['-e', 'setInterval(()=>{},1000)'], {stdio:'ignore'}); console.log(c.pid); setInterval(()=>{},1000);`;
    const r = await runProcess({ ...base, argv: ['node', '-e', script], timeoutMs: 500, killGraceMs: 200 });
    expect(r.timedOut).toBe(true);
    const grandchild = Number(r.stdout.toString().trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((res) => setTimeout(res, 300));
    expect(alive(grandchild)).toBe(false);
  });

  it('reports a missing program instead of throwing', async () => {
    const r = await runProcess({ ...base, argv: ['definitely-not-a-program-lily'] });
    expect(r.spawnError?.code).toBe('ENOENT');
  });

  it('an abort sends SIGTERM, then SIGKILL after the grace period to a program that ignores it', async () => {
    const controller = new AbortController();
    const script = `process.on('SIGTERM', () => console.log('term')); console.log('up'); setInterval(() => {}, 1000);`;
    const done = runProcess({
      ...base,
      argv: ['node', '-e', script],
      signal: controller.signal,
      killGraceMs: 300,
    });
    await new Promise((res) => setTimeout(res, 300));
    controller.abort();
    const r = await done;
    expect(r).toMatchObject({ aborted: true, killed: true, signal: 'SIGKILL' });
    expect(r.stdout.toString()).toContain('term');
  });

  it('a program that exits on SIGTERM is not SIGKILLed', async () => {
    const controller = new AbortController();
    const done = runProcess({
      ...base,
      argv: ['sleep', '30'],
      signal: controller.signal,
      killGraceMs: 5_000,
    });
    await new Promise((res) => setTimeout(res, 100));
    controller.abort();
    expect(await done).toMatchObject({ aborted: true, killed: false, signal: 'SIGTERM' });
  });

  it.runIf(stepCgroupsAvailable())(
    'with a cgroup per step, a setsid daemon dies with its step; without, it escapes the process group',
    async () => {
      const daemon = `setTimeout(() => {}, 60000)`;
      const script = `const d = require('child_process').spawn(process.execPath, ['-e', '${daemon}'], { detached: true, stdio: 'ignore' }); d.unref(); console.log(d.pid);`;
      const contained = await runProcess({ ...base, argv: ['node', '-e', script] });
      expect(contained.containment).toBe('cgroup');
      const inCgroup = Number(contained.stdout.toString().trim());
      for (let i = 0; i < 100 && alive(inCgroup); i++) await new Promise((res) => setTimeout(res, 20));
      expect(alive(inCgroup)).toBe(false);
      const grouped = await runProcess({ ...base, argv: ['node', '-e', script], cgroup: false });
      expect(grouped.containment).toBe('process_group');
      const escaped = Number(grouped.stdout.toString().trim());
      await new Promise((res) => setTimeout(res, 200));
      expect(alive(escaped)).toBe(true);
      process.kill(escaped, 'SIGKILL');
    },
  );

  it('a program that cannot be found is still a spawn error with a cgroup available', async () => {
    const r = await runProcess({ ...base, argv: ['./not-here-lily'] });
    expect(r.spawnError?.code).toBe('ENOENT');
    expect(r.containment).toBe('process_group');
  });
});
