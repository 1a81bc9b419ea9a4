/**
 * Disk full: the LMDB event store on a size-capped file system. The first way this machine
 * allows is used (set LILY_DISKFULL_STRATEGY=tmpfs|loop|prlimit to force one):
 *   tmpfs    `mount -t tmpfs -o size=4m` (needs root / CAP_SYS_ADMIN)
 *   loop     a small ext4 image, `mkfs.ext4` + `mount -o loop` (needs root and loop devices)
 *   prlimit  RLIMIT_FSIZE on the child (`prlimit --fsize`): writes past it fail with EFBIG,
 *            SIGXFSZ ignored by the child. "Space returns" = the limit is raised on the live pid.
 * For tmpfs and loop a filler file leaves ~1.5 MB free; removing it is "space returns".
 * The scenario runs in a child process (diskfull-child.ts), so a crash (an unhandled rejection
 * from lmdb-js) shows as a non-zero exit instead of killing the test runner.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHILD = join(fileURLToPath(new URL('.', import.meta.url)), 'diskfull-child.ts');
const FREE_BYTES = 1_500_000;

type Strategy = 'tmpfs' | 'loop' | 'prlimit';
interface Setup {
  strategy: Strategy;
  dir: string;
  filler?: string;
  cleanup: () => void;
}

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
const ok = (cmd: string, args: string[]) => run(cmd, args).status === 0;

const fill = (dir: string): string => {
  const { bavail, bsize } = statfsSync(dir);
  const filler = join(dir, 'filler');
  writeFileSync(filler, Buffer.alloc(Math.max(0, Number(bavail) * Number(bsize) - FREE_BYTES)));
  return filler;
};

const tryTmpfs = (base: string): Setup | undefined => {
  const dir = join(base, 'mnt');
  mkdirSync(dir);
  if (!ok('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir])) return undefined;
  return { strategy: 'tmpfs', dir, filler: fill(dir), cleanup: () => run('umount', ['-l', dir]) };
};

const tryLoop = (base: string): Setup | undefined => {
  const image = join(base, 'disk.img');
  const dir = join(base, 'loop');
  mkdirSync(dir);
  if (!ok('truncate', ['-s', '8M', image])) return undefined;
  if (!ok('mkfs.ext4', ['-q', '-F', '-m', '0', image])) return undefined;
  if (!ok('mount', ['-o', 'loop', image, dir])) return undefined;
  return { strategy: 'loop', dir, filler: fill(dir), cleanup: () => run('umount', ['-l', dir]) };
};

const tryPrlimit = (base: string): Setup | undefined =>
  ok('prlimit', ['--fsize=1000000', 'true'])
    ? { strategy: 'prlimit', dir: base, cleanup: () => {} }
    : undefined;

const ATTEMPTS: Record<Strategy, (base: string) => Setup | undefined> = {
  tmpfs: tryTmpfs,
  loop: tryLoop,
  prlimit: tryPrlimit,
};

let base: string;
let setup: Setup | undefined;
let skipReason = '';

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'lily-diskfull-'));
  const forced = process.env.LILY_DISKFULL_STRATEGY as Strategy | undefined;
  const order: Strategy[] = forced ? [forced] : ['tmpfs', 'loop', 'prlimit'];
  for (const strategy of order) {
    setup = ATTEMPTS[strategy](base);
    if (setup) break;
  }
  if (!setup) skipReason = `no size-capped file system available (tried ${order.join(', ')})`;
});

afterAll(() => {
  setup?.cleanup();
  if (base) rmSync(base, { recursive: true, force: true });
});

interface Full {
  phase: 'full';
  acked: number;
  codes: string[];
  message: string;
  readable: number;
}
interface Done {
  phase: 'done';
  after: number;
  afterCodes: string[];
  stored: number;
  missing: string[];
}

const startChild = (s: Setup): ChildProcess => {
  const db = join(s.dir, 'db');
  const args = ['--import', 'tsx', CHILD, db];
  return s.strategy === 'prlimit'
    ? spawn('prlimit', [`--fsize=${FREE_BYTES}:unlimited`, process.execPath, ...args], { stdio: 'pipe' })
    : spawn(process.execPath, args, { stdio: 'pipe' });
};

const freeSpace = (s: Setup, child: ChildProcess) => {
  if (s.filler) rmSync(s.filler);
  else expect(ok('prlimit', ['--pid', String(child.pid), '--fsize=unlimited:unlimited'])).toBe(true);
};

describe('event store on a full disk', () => {
  it('refuses appends with eventstore_unavailable, keeps every acknowledged event, recovers', async (ctx) => {
    if (!setup) return ctx.skip(skipReason);
    const s = setup;
    const child = startChild(s);
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    const next = async <T>(): Promise<T> => {
      const line = await lines.next();
      if (line.done) throw new Error(`child ended early (exit ${await exited}):\n${stderr}`);
      return JSON.parse(line.value) as T;
    };

    const full = await next<Full>();
    expect(full.acked, `${s.strategy}: some appends succeed first`).toBeGreaterThan(10);
    expect(full.codes.length, `${s.strategy}: the store fills up`).toBeGreaterThan(0);
    expect(new Set(full.codes)).toEqual(new Set(['eventstore_unavailable']));
    expect(full.readable).toBeGreaterThanOrEqual(full.acked);

    freeSpace(s, child);
    child.stdin?.write('go\n');
    const done = await next<Done>();
    expect(await exited, `child crashed:\n${stderr}`).toBe(0);
    expect(done.afterCodes).toEqual([]);
    expect(done.after).toBe(9);
    expect(done.missing).toEqual([]);
    expect(done.stored).toBeGreaterThanOrEqual(full.acked + done.after);
    expect(stderr).not.toMatch(/Unhandled|unhandledRejection/i);
  });
});
