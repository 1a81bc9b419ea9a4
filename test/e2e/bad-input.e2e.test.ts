/**
 * The bad-input corpus (test/fixtures/bad/manifest.json) through the built CLI: every case
 * must exit with its manifest exit code, print `{"error": {code}}` with the manifest code under
 * `--json`, print no stack frame on stdout or stderr, and write nothing to `.lily/db`.
 * Needs `npm run build` (npm test does it).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BAD_DIR,
  type BadCase,
  caseFileName,
  casesOf,
  caseText,
  hugeJobText,
} from '../unit/bad-input/manifest.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/lily.js');
/** A stack frame line as Node prints it. */
const STACK = /^\s+at .+[:(]/m;
const VALID_CONFIG = 'namespace: default\nnats:\n  managed: true\n';
const VALID_POLICY = 'executors: [command]\ncommands: [echo]\n';
const HELLO = 'id: hello\ntitle: t\ntarget: {kind: blueprint, id: command.v1}\nbindings: {run: [echo, hi]}\n';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously, so several cases share the two cores. */
const lily = (args: string[], cwd: string): Promise<Run> =>
  new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });

/** Runs `items` through `fn` with at most `n` at a time. */
const pool = async <T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: n }, lane));
  return out;
};

let tmp: string;
let counter = 0;

/** A fresh project directory with a valid config, policy and job, then `files` written over it. */
const project = (files: Record<string, string | Buffer> = {}): string => {
  const dir = join(tmp, `p${++counter}`);
  mkdirSync(join(dir, '.lily/jobs'), { recursive: true });
  const all: Record<string, string | Buffer> = {
    'config.yaml': VALID_CONFIG,
    'policy.yaml': VALID_POLICY,
    'jobs/hello.job.yaml': HELLO,
    ...files,
  };
  for (const [rel, content] of Object.entries(all)) writeFileSync(join(dir, '.lily', rel), content);
  return dir;
};

/** The state of `.lily/db`: absent, or the hash of its data file (a read leaves it as it is). */
const dbState = (dir: string): string => {
  const data = join(dir, '.lily/db/data.mdb');
  if (!existsSync(join(dir, '.lily/db'))) return 'absent';
  return existsSync(data) ? createHash('sha256').update(readFileSync(data)).digest('hex') : 'empty dir';
};

/**
 * One case of each kind, code and issue code, and every alias bomb: what runs through the CLI
 * one process per case (the loaders get every case in the unit tests).
 */
const sample = (cases: BadCase[]): BadCase[] => {
  const seen = new Set<string>();
  return cases.filter((c) => {
    const key = `${c.kind}|${c.code}|${c.issue ?? ''}`;
    const keep = !seen.has(key) || c.id.includes('alias-bomb');
    seen.add(key);
    return keep;
  });
};

/** The checks every bad input must pass, whatever the entry point. */
const expectClean = (
  c: Pick<BadCase, 'id' | 'code' | 'exit' | 'reason'>,
  run: Run,
  dir: string,
  db = 'absent',
) => {
  const where = `${c.id}\nstdout: ${run.stdout.slice(0, 600)}\nstderr: ${run.stderr.slice(0, 600)}`;
  expect(run.code, where).toBe(c.exit);
  const json = JSON.parse(run.stdout) as { error?: { code?: string; data?: { reason?: string } } };
  expect(json.error?.code, where).toBe(c.code);
  if (c.reason) expect(json.error?.data?.reason, where).toBe(c.reason);
  expect(run.stdout, where).not.toMatch(STACK);
  expect(run.stderr, where).not.toMatch(STACK);
  expect(dbState(dir), `${c.id}: .lily/db was written`).toBe(db);
};

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the e2e tests (npm test does).');
  }
  tmp = mkdtempSync(join(tmpdir(), 'lily-bad-e2e-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('bad job specs and bindings through the CLI', () => {
  const jobs = [...casesOf('job'), ...casesOf('bindings')];
  const idOf = (c: BadCase) => caseFileName(c).replace(/\.job\.yaml$/, '');

  const picked = sample(jobs);
  it(`blueprints plan <id> --json refuses ${picked.length} of them (one per code and issue)`, async () => {
    const dir = project();
    for (const c of jobs)
      copyFileSync(join(BAD_DIR, c.file as string), join(dir, '.lily/jobs', caseFileName(c)));
    const runs = await pool(picked, 3, (c) => lily(['blueprints', 'plan', idOf(c), '--json'], dir));
    for (const [i, c] of picked.entries()) expectClean(c, runs[i] as Run, dir);
  });

  it(`jobs validate --json reports each of the ${jobs.length} bad jobs with its code, exit 2`, async () => {
    const dir = project();
    for (const c of jobs)
      copyFileSync(join(BAD_DIR, c.file as string), join(dir, '.lily/jobs', caseFileName(c)));
    const run = await lily(['jobs', 'validate', '--json'], dir);
    expect(run.code).toBe(2);
    expect(run.stdout).not.toMatch(STACK);
    expect(run.stderr).not.toMatch(STACK);
    const out = JSON.parse(run.stdout) as { jobs: { id: string; ok: boolean; error?: { code: string } }[] };
    const byId = new Map(out.jobs.map((j) => [j.id, j]));
    expect(byId.get('hello')?.ok).toBe(true);
    for (const c of jobs) expect(byId.get(idOf(c))?.error?.code, c.id).toBe(c.code);
    expect(existsSync(join(dir, '.lily/db'))).toBe(false);
  });

  it('jobs list (human output) lists bad jobs without a stack trace', async () => {
    const dir = project();
    for (const c of jobs)
      copyFileSync(join(BAD_DIR, c.file as string), join(dir, '.lily/jobs', caseFileName(c)));
    const run = await lily(['jobs', 'list'], dir);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('job_invalid_spec');
    expect(`${run.stdout}${run.stderr}`).not.toMatch(STACK);
  });

  it('a generated spec over 1 MB is job_invalid_spec', async () => {
    const dir = project({ 'jobs/huge.job.yaml': hugeJobText('huge') });
    const run = await lily(['jobs', 'show', 'huge', '--json'], dir);
    expectClean({ id: 'huge', code: 'job_invalid_spec', exit: 2 }, run, dir);
  });
});

describe('bad config and policy files through the CLI', () => {
  const files = sample([...casesOf('config'), ...casesOf('policy')]);
  it(`jobs list --json refuses ${files.length} of them (one per code, and the alias bombs)`, async () => {
    const dirs = files.map((c) => project({ [`${c.kind}.yaml`]: caseText(c) }));
    const runs = await pool(dirs, 3, (dir) => lily(['jobs', 'list', '--json'], dir));
    for (const [i, c] of files.entries()) expectClean(c, runs[i] as Run, dirs[i] as string);
  });

  it('the human error panel carries the file and line, and no stack', async () => {
    const c = casesOf('config').find((x) => x.id === 'config/unknown-key') as BadCase;
    const dir = project({ 'config.yaml': caseText(c) });
    const run = await lily(['jobs', 'list'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/config\.yaml:2:\d+/);
    expect(run.stderr).not.toMatch(STACK);
  });
});

describe('bad command lines', () => {
  const all = casesOf('cli');
  let groups: Set<string>;

  beforeAll(async () => {
    const help = await lily(['--help'], tmp);
    groups = new Set([...help.stdout.matchAll(/^\s{2}(\w[\w-]*)/gm)].map((m) => m[1] as string));
  });

  it(`each of the ${all.length} command lines is refused with its code`, async (ctx) => {
    const runnable = all.filter((c) => c.requires === undefined || groups.has(c.requires));
    if (runnable.length === 0) return ctx.skip('no command group of the corpus is registered');
    // The runs commands read the log: give them one (empty) first, which must stay unchanged.
    const dir = project();
    const withDb = project();
    if (groups.has('runs')) expect((await lily(['runs', 'list', '--json'], withDb)).code).toBe(0);
    const db = dbState(withDb);
    const dirOf = (c: BadCase) => (c.requires === 'runs' ? withDb : dir);
    const runs = await pool(runnable, 4, (c) => lily(['--json', ...(c.args as string[])], dirOf(c)));
    for (const [i, c] of runnable.entries()) {
      expectClean(c, runs[i] as Run, dirOf(c), c.requires === 'runs' ? db : 'absent');
    }
    const skipped = all.filter((c) => !runnable.includes(c)).map((c) => c.id);
    expect(skipped, `cases whose command group is missing: ${skipped.join(', ')}`).toEqual([]);
  });
});
