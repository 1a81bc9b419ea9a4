/**
 * A damaged `.lily/db` through the built CLI: every command that reads the log answers
 * `eventstore_corrupt` (exit 1) with a hint, never a signal death and never raw event data.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(resolve(import.meta.dirname, '../..'), 'bin/lily.js');
let base: string;
let healthy: string;

const lily = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
};

const damaged = (name: string, damage: (dataMdb: string) => void): string => {
  const dir = join(base, name);
  cpSync(healthy, dir, { recursive: true });
  damage(join(dir, '.lily/db/data.mdb'));
  return dir;
};

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'lily-faults-'));
  healthy = join(base, 'healthy');
  expect(lily(['init', '--dir', healthy]).code).toBe(0);
  expect(lily(['jobs', 'run', 'hello', '--dir', healthy, '--json']).code).toBe(0);
}, 120_000);

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('a damaged event store through the CLI', () => {
  it('a truncated data.mdb: eventstore_corrupt, exit 1, no signal, in every reading command', () => {
    const dir = damaged('truncated', (f) => truncateSync(f, Math.floor(statSync(f).size / 3)));
    for (const args of [
      ['runs', 'list'],
      ['runs', 'list', '--json'],
      ['approvals', 'list', '--json'],
    ]) {
      const r = lily([...args, '--dir', dir]);
      expect(r.signal, args.join(' ')).toBeNull();
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout + r.stderr).toContain('eventstore_corrupt');
    }
    const json = lily(['runs', 'list', '--json', '--dir', dir]);
    const error = (JSON.parse(json.stdout) as { error: { code: string; hint?: string } }).error;
    expect(error.code).toBe('eventstore_corrupt');
    const doctor = lily(['doctor', '--dir', dir]);
    expect(doctor.signal).toBeNull();
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/lmdb\s+│ fail\s+│ eventstore_corrupt/);
  });

  it('flipped bytes in the log: the stable code, never raw event data', () => {
    const dir = damaged('flipped', (f) => {
      const bytes = readFileSync(f);
      // Every byte of every event value: the values are the events' JSON (decision 036).
      for (let o = 2 * 4096; o < bytes.length; o += 7) bytes[o] = (bytes[o] as number) ^ 0x5a;
      writeFileSync(f, bytes);
    });
    const doctor = lily(['doctor', '--json', '--dir', dir]);
    expect(doctor.signal).toBeNull();
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('eventstore_corrupt');
    const list = lily(['runs', 'list', '--json', '--dir', dir]);
    if (list.signal === null && list.code !== 0) {
      expect(list.stdout).toContain('eventstore_corrupt');
      expect(list.stdout).not.toContain('"run.requested"');
    }
  });
});
