import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../../src/actors/executors/run-process.js';

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
});
