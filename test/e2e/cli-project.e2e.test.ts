/**
 * Finding the project like git: every command walks up from the working directory to the
 * nearest `.lily/`; read-only commands create nothing; outside a project the hint never makes
 * a nested one; hints carry the `--dir` the user gave; `lily <job>` points at `lily jobs run`.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lily, requireBuild } from './cli-live-process.js';

let root: string;
let project: string;
let subdir: string;

type ErrorDoc = { error: { code: string; message: string; data: { hint?: string } } };

beforeAll(() => {
  requireBuild();
  // root/.git (a repository), root/proj/.lily (the project), root/proj/src/deep, root/elsewhere
  root = mkdtempSync(join(tmpdir(), 'lily-e2e-walk-'));
  mkdirSync(join(root, '.git'));
  project = join(root, 'proj');
  subdir = join(project, 'src', 'deep');
  mkdirSync(subdir, { recursive: true });
  mkdirSync(join(root, 'elsewhere'));
  expect(lily(['init', '--dir', project]).code).toBe(0);
}, 60_000);

afterAll(() => {
  if (!root) return;
  lily(['down', '--grace-ms', '2000', '--dir', project]);
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('the project is found by walking up from the working directory', () => {
  it('read-only commands work from a subdirectory and create no .lily/db', () => {
    const runs = lily(['runs', 'list', '--json'], { cwd: subdir });
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.json()).toEqual({ runs: [], total: 0 });
    const jobs = lily(['jobs', 'list', '--json'], { cwd: subdir });
    expect(jobs.code).toBe(0);
    expect(jobs.json()).toMatchObject({ dir: join(project, '.lily', 'jobs'), jobs: [{ id: 'hello' }] });
    const expected: [string[], number][] = [
      [['approvals', 'list'], 0],
      [['artifacts', 'list'], 0],
      [['status'], 1], // no deployment
      [['doctor'], 0],
      [['runs', 'show', '01HZX3K7Q9V5T2M8N4P6R0S1W3'], 2], // run_not_found
      [['gc', '--dry-run'], 0],
    ];
    for (const [args, code] of expected) {
      const r = lily([...args, '--json'], { cwd: subdir });
      expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(code);
    }
    expect(lily(['approvals', 'list', '--json'], { cwd: subdir }).json()).toEqual({ approvals: [] });
    expect(existsSync(join(project, '.lily', 'db'))).toBe(false);
    expect(existsSync(join(project, '.lily', 'artifacts'))).toBe(false);
  });

  it('cd <project>/some/subdir && lily jobs run works, and runs list then lists the run', () => {
    const run = lily(['jobs', 'run', 'hello', '--json'], { cwd: subdir });
    expect(run.code, run.stderr).toBe(0);
    const { runId } = run.json() as { runId: string };
    expect(run.json()).toMatchObject({ status: 'succeeded', engine: 'ephemeral' });
    const list = lily(['runs', 'list', '--json'], { cwd: subdir });
    expect(list.json()).toMatchObject({ total: 1, runs: [{ runId, jobId: 'hello', status: 'succeeded' }] });
    expect(existsSync(join(project, '.lily', 'runs', 'hello'))).toBe(true);
    expect(existsSync(join(subdir, '.lily'))).toBe(false);
  }, 60_000);

  it('outside any project: project_not_initialized, and the hint names the repository root', () => {
    const run = lily(['runs', 'list', '--json'], { cwd: join(root, 'elsewhere') });
    expect(run.code).toBe(2);
    const { error } = run.json() as ErrorDoc;
    expect(error.code).toBe('project_not_initialized');
    expect(error.message).toContain('or any parent directory');
    expect(error.data.hint).toContain(`lily init --dir ${root}`);
    const human = lily(['jobs', 'list'], { cwd: join(root, 'elsewhere') });
    expect(human.stderr).toMatch(/hint\s+`lily init --dir \S+` creates one at the repository root/);
    expect(existsSync(join(root, 'elsewhere', '.lily'))).toBe(false);
  });

  it('--dir wins over the walk-up; a --dir inside a project names the project', () => {
    const explicit = lily(['--dir', project, 'jobs', 'list', '--json'], { cwd: join(root, 'elsewhere') });
    expect(explicit.code).toBe(0);
    const inside = lily(['--dir', subdir, 'runs', 'list', '--json'], { cwd: root });
    expect(inside.code).toBe(2);
    expect((inside.json() as ErrorDoc).error.data.hint).toContain(`lily --dir ${project}`);
  });
});

describe('hints', () => {
  it('carry the --dir the user gave', () => {
    const run = lily(['--dir', project, 'jobs', 'run', 'hello'], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      new RegExp(`next: lily --dir ${project} runs show \\S+ {4}lily --dir ${project} runs replay`),
    );
    const cancel = lily(['runs', 'cancel', '01HZX3K7Q9V5T2M8N4P6R0S1W3', '--dir', project, '--json'], {
      cwd: root,
    });
    expect((cancel.json() as ErrorDoc).error.code).toBe('run_not_found');
    const validate = lily(['jobs', 'validate', '--dir', 'proj'], { cwd: root });
    expect(validate.code).toBe(0);
    const init = lily(['init', '--dir', 'proj'], { cwd: root });
    expect(init.stdout).toContain(
      'Next: lily --dir proj jobs validate  then  lily --dir proj blueprints plan hello',
    );
  }, 60_000);

  it('an unknown command that names a job points at lily jobs run (with --dir); another does not', () => {
    const bare = lily(['hello', '--json'], { cwd: subdir });
    expect(bare.code).toBe(2);
    expect((bare.json() as ErrorDoc).error).toMatchObject({
      code: 'usage_invalid',
      data: { hint: 'lily jobs run hello' },
    });
    const run = lily(['run', 'hello'], { cwd: subdir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('`lily jobs run hello`');
    const withDir = lily(['--dir', project, 'hello', '--json'], { cwd: root });
    expect((withDir.json() as ErrorDoc).error.data.hint).toBe(`lily --dir ${project} jobs run hello`);
    const other = lily(['nosuchjob', '--json'], { cwd: subdir });
    expect(other.code).toBe(2);
    expect((other.json() as ErrorDoc).error.data.hint).toBeUndefined();
  });
});
