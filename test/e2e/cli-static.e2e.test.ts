import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/lily.js');
const TRACER = join(ROOT, 'test/fixtures/jobs/trace-imports.mjs');
/** A stack frame line as Node prints it. */
const STACK = /\n\s+at .+[:(]/;

let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown>;
}

const lily = (
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; node?: string[] } = {},
): Run => {
  const result: SpawnSyncReturns<string> = spawnSync(
    process.execPath,
    [...(options.node ?? []), BIN, ...args],
    {
      cwd: options.cwd ?? dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
      timeout: 20_000,
    },
  );
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    json: () => JSON.parse(result.stdout) as Record<string, unknown>,
  };
};

const writeJob = (id: string, text: string) => writeFileSync(join(dir, '.lily/jobs', `${id}.job.yaml`), text);
const removeJob = (id: string) => rmSync(join(dir, '.lily/jobs', `${id}.job.yaml`), { force: true });

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the e2e tests (npm test does).');
  }
  dir = mkdtempSync(join(tmpdir(), 'lily-e2e-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('lily (static commands)', () => {
  it('--help lists the commands and loads no NATS, LMDB, XState, zod or yaml', () => {
    const trace = join(dir, 'imports.txt');
    const run = lily(['--help'], { node: ['--import', TRACER], env: { LILY_TRACE_IMPORTS: trace } });
    expect(run.code).toBe(0);
    for (const command of ['init', 'jobs', 'blueprints']) expect(run.stdout).toContain(command);
    const loaded = readFileSync(trace, 'utf8');
    expect(loaded).toContain('dist/cli/main.js');
    expect(loaded).not.toMatch(/node_modules\/(@nats-io|lmdb|xstate|zod|yaml)\//);
  });

  it('--help and --version load one module of Lily, the bundled entry, which knows its version', () => {
    const trace = join(dir, 'imports-bundle.txt');
    const help = lily(['--help'], { node: ['--import', TRACER], env: { LILY_TRACE_IMPORTS: trace } });
    expect(help.code).toBe(0);
    const ours = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((url) => url.startsWith(pathToFileURL(ROOT).href) && !url.includes('/node_modules/'));
    expect(new Set(ours)).toEqual(
      new Set([pathToFileURL(BIN).href, pathToFileURL(join(ROOT, 'dist/cli/main.js')).href]),
    );
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const shown = lily(['--version']);
    expect(shown.code).toBe(0);
    expect(shown.stdout.trim()).toBe(version);
  });

  it('refuses to work outside a project: project_not_initialized, exit 2', () => {
    const run = lily(['jobs', 'list', '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ error: { code: 'project_not_initialized' } });
  });

  it('init creates .lily/ and keeps existing files the second time', () => {
    const first = lily(['init', '--json']);
    expect(first.code).toBe(0);
    const created = (first.json().created as string[]).map((f) => f.slice(dir.length + 1));
    expect(created.sort()).toEqual([
      '.lily/.gitignore',
      '.lily/config.yaml',
      '.lily/jobs/hello.job.yaml',
      '.lily/policy.yaml',
    ]);
    expect(readFileSync(join(dir, '.lily/.gitignore'), 'utf8')).toMatch(/^db\/$/m);
    const second = lily(['init', '--json']);
    expect(second.json()).toMatchObject({ created: [], overwritten: [] });
    expect(lily(['init', '--force', '--json']).json().overwritten).toHaveLength(4);
  });

  it('jobs list / show / validate --json on the example job', () => {
    const list = lily(['jobs', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.json().jobs).toEqual([
      expect.objectContaining({ id: 'hello', valid: true, target: { kind: 'blueprint', id: 'pipeline.v1' } }),
    ]);
    const show = lily(['jobs', 'show', 'hello', '--json']);
    expect(show.code).toBe(0);
    expect(show.json()).toMatchObject({
      id: 'hello',
      spec: { trigger: { manual: true }, runtime: { concurrency: 1 } },
    });
    const validate = lily(['jobs', 'validate', '--json']);
    expect(validate.code).toBe(0);
    expect(validate.json()).toMatchObject({
      ok: true,
      jobs: [{ id: 'hello', ok: true, blueprint: 'pipeline.v1@1.0.0' }],
    });
  });

  it('--dir selects the project from anywhere', () => {
    const run = lily(['--dir', dir, 'jobs', 'list', '--json'], { cwd: tmpdir() });
    expect(run.code).toBe(0);
    expect((run.json().jobs as unknown[]).length).toBe(1);
  });

  it('blueprints list --json lists the built-ins; show describes one', () => {
    const list = lily(['blueprints', 'list', '--json']);
    expect(list.code).toBe(0);
    const ids = (list.json().blueprints as { id: string }[]).map((b) => b.id);
    expect(ids).toEqual(expect.arrayContaining(['command.v1', 'pipeline.v1', 'council.v1']));
    const show = lily(['blueprints', 'show', 'pipeline.v1', '--json']);
    expect(show.code).toBe(0);
    expect(show.json()).toMatchObject({ id: 'pipeline.v1', bindings: { type: 'object' } });
  });

  it('blueprints plan --json prints the compiled plan and its hash', () => {
    const run = lily(['blueprints', 'plan', 'hello', '--json']);
    expect(run.code).toBe(0);
    const out = run.json() as { planHash: string; plan: { steps: { id: string; needs: string[] }[] } };
    expect(out.planHash).toMatch(/^[0-9a-f]{64}$/);
    expect(out.plan.steps.map((s) => s.id)).toEqual(['greet', 'versions', 'done']);
    expect(out.plan.steps[2]?.needs).toEqual(['greet', 'versions']);
    expect(lily(['blueprints', 'plan', 'hello', '--json']).json().planHash).toBe(out.planHash);
  });

  it('wrong bindings: exit 2, job_bindings_invalid with the zod issues and their lines, no stack', () => {
    writeJob(
      'bad-bindings',
      'id: bad-bindings\ntitle: Bad\ntarget: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps:\n    - id: one\n      run: "echo hi"\n',
    );
    const run = lily(['jobs', 'validate', '--json']);
    expect(run.code).toBe(2);
    const jobs = run.json().jobs as {
      id: string;
      ok: boolean;
      error?: { code: string; data: { issues: unknown[] } };
    }[];
    const bad = jobs.find((j) => j.id === 'bad-bindings');
    expect(bad?.error?.code).toBe('job_bindings_invalid');
    expect(bad?.error?.data.issues).toEqual([
      expect.objectContaining({ path: 'bindings.steps.0.run', code: 'invalid_type', line: 7, column: 12 }),
    ]);
    expect(jobs.find((j) => j.id === 'hello')?.ok).toBe(true);
    expect(run.stdout + run.stderr).not.toMatch(STACK);
    removeJob('bad-bindings');
  });

  it('jobs validate checks the job against the init policy: a missing timeout and a command outside the allowlist, each with its fix (JSON and human)', () => {
    writeJob(
      'denied',
      'id: denied\ntitle: Denied\ntarget: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps:\n    - id: a\n      run: [echo, hi]\n',
    );
    writeJob(
      'npx',
      'id: npx\ntitle: Npx\ntarget: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps:\n    - id: a\n      run: [echo, hi]\n    - id: b\n      run: [npx, cowsay]\nruntime: { timeout_ms: 1000 }\n',
    );
    const json = lily(['jobs', 'validate', '--json']);
    expect(json.code).toBe(2);
    const jobs = json.json().jobs as { id: string; ok: boolean; policy: Record<string, unknown>[] }[];
    expect(jobs.find((j) => j.id === 'hello')).toMatchObject({ ok: true, policy: [] });
    expect(jobs.find((j) => j.id === 'denied')).toMatchObject({
      ok: false,
      policy: [
        {
          stepId: 'a',
          severity: 'error',
          rule: 'caps.timeout_ms',
          fix: expect.stringContaining('runtime.timeout_ms'),
        },
      ],
    });
    expect(jobs.find((j) => j.id === 'npx')).toMatchObject({
      ok: false,
      policy: [
        { stepId: 'b', severity: 'error', rule: 'commands', fix: expect.stringContaining('commands') },
      ],
    });
    const human = lily(['jobs', 'validate']);
    expect(human.code).toBe(2);
    expect(human.stdout).toMatch(/denied step a: denied by policy \(rule caps\.timeout_ms\)/);
    expect(human.stdout).toMatch(/npx step b: denied by policy \(rule commands\): .*npx/);
    expect(human.stdout).toMatch(/fix: set `runtime.timeout_ms`/);
    expect(human.stdout).toMatch(/fix: add the program to `commands` in \.lily\/policy\.yaml/);
    expect(human.stdout).toContain('2 of 3 invalid');
    removeJob('denied');
    removeJob('npx');
  });

  it('a job title with terminal escapes is printed with the escapes shown, not interpreted', () => {
    writeJob(
      'evil',
      'id: evil\ntitle: "Evil\\e[2J\\e]0;owned\\a title"\ntarget: { kind: blueprint, id: pipeline.v1 }\nbindings:\n  steps:\n    - id: a\n      run: [echo, hi]\nruntime: { timeout_ms: 1000 }\n',
    );
    for (const args of [
      ['jobs', 'list'],
      ['jobs', 'show', 'evil'],
    ]) {
      const run = lily(args);
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain('\x1b');
      expect(run.stdout).not.toContain('\x07');
      expect(run.stdout).toContain('Evil\\x1b[2J\\x1b]0;owned\\x07 title');
    }
    expect(lily(['jobs', 'show', 'evil', '--json']).json()).toMatchObject({
      spec: { title: 'Evil\x1b[2J\x1b]0;owned\x07 title' },
    });
    removeJob('evil');
  });

  it('malformed YAML: exit 2, job_invalid_spec with line numbers, no stack', () => {
    writeJob('broken', 'id: broken\ntitle: Broken\ntarget:\n  kind: blueprint\n  id: [pipeline.v1\n');
    const run = lily(['jobs', 'validate', 'broken', '--json']);
    expect(run.code).toBe(2);
    const [job] = run.json().jobs as { error: { code: string; data: { issues: { line: number }[] } } }[];
    expect(job?.error.code).toBe('job_invalid_spec');
    expect(job?.error.data.issues[0]?.line).toBeGreaterThanOrEqual(5);
    expect(run.stdout + run.stderr).not.toMatch(STACK);
    removeJob('broken');
  });

  it('unknown blueprint: exit 2, job_target_unresolved, no stack (JSON and human)', () => {
    writeJob('ghost', 'id: ghost\ntitle: Ghost\ntarget: { kind: blueprint, id: ghost.v1 }\n');
    const json = lily(['jobs', 'validate', 'ghost', '--json']);
    expect(json.code).toBe(2);
    expect(json.json()).toMatchObject({
      ok: false,
      jobs: [{ id: 'ghost', error: { code: 'job_target_unresolved', data: { target: { id: 'ghost.v1' } } } }],
    });
    const human = lily(['blueprints', 'plan', 'ghost']);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain('job_target_unresolved');
    expect(human.stdout + human.stderr).not.toMatch(STACK);
    removeJob('ghost');
  });

  it('a blueprint_* error renders the Blueprint Diagnostic panel', () => {
    const run = lily(['blueprints', 'show', 'nope.v1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Blueprint Diagnostic');
    expect(run.stderr).toContain('blueprint_not_found');
    expect(run.stderr).not.toMatch(STACK);
  });

  it('usage errors exit 2 with usage_invalid', () => {
    const run = lily(['jobs', 'show', '--json']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({
      error: { code: 'usage_invalid', data: { reason: 'missingArgument' } },
    });
    expect(lily(['jobs', 'frobnicate']).code).toBe(2);
  });

  it('loads the packs listed in config.yaml; an invalid pack is pack_invalid', () => {
    // The pack must share Lily's zod instance, as it would through a dependency on lily.
    const zod = pathToFileURL(join(ROOT, 'node_modules/zod/index.js')).href;
    const pack = [
      `import { z } from ${JSON.stringify(zod)};`,
      'export default {',
      "  name: 'greetings', version: '1.0.0',",
      '  blueprints: [{',
      "    id: 'greet.v1', version: '1.0.0', summary: 'Say hello',",
      '    bindings: z.object({ name: z.string() }), input: z.object({}), output: z.object({}),',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the pack's own source text.
      "    compile: (b) => ({ steps: [{ id: 'greet', executor: 'echo', with: { text: `hello ${b.name}` } }] }),",
      '  }],',
      '};',
    ].join('\n');
    writeFileSync(join(dir, 'greetings.mjs'), pack);
    writeFileSync(join(dir, 'not-a-pack.mjs'), 'export default { nope: true };\n');
    const config = join(dir, '.lily/config.yaml');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, original.replace('packs: []', 'packs: [./greetings.mjs]'));
    writeJob(
      'greet',
      'id: greet\ntitle: Greet\ntarget: { kind: blueprint, id: greet.v1 }\nbindings: { name: Lily }\n',
    );
    const list = lily(['blueprints', 'list', '--json']);
    expect(list.code).toBe(0);
    expect((list.json().blueprints as { id: string }[]).map((b) => b.id)).toContain('greet.v1');
    expect(list.json().packs).toEqual([{ name: 'greetings', version: '1.0.0', source: './greetings.mjs' }]);
    const plan = lily(['blueprints', 'plan', 'greet', '--json']);
    expect(plan.code).toBe(0);
    expect(plan.json()).toMatchObject({ plan: { steps: [{ id: 'greet', with: { text: 'hello Lily' } }] } });
    writeFileSync(config, original.replace('packs: []', 'packs: [./not-a-pack.mjs]'));
    const bad = lily(['jobs', 'list', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json()).toMatchObject({
      error: { code: 'pack_invalid', data: { source: './not-a-pack.mjs' } },
    });
    writeFileSync(config, original.replace('packs: []', 'packs: [./missing.mjs]'));
    expect(lily(['jobs', 'list', '--json']).json()).toMatchObject({
      error: { code: 'pack_invalid', data: { reason: 'import_failed' } },
    });
    writeFileSync(config, original);
    removeJob('greet');
  });

  it('config_invalid carries line numbers', () => {
    const config = join(dir, '.lily/config.yaml');
    const original = readFileSync(config, 'utf8');
    writeFileSync(config, `${original}workerz: 3\n`);
    const run = lily(['jobs', 'list', '--json']);
    expect(run.code).toBe(2);
    const issues = (run.json().error as { data: { issues: { path: string; line: number }[] } }).data.issues;
    expect(issues).toEqual([expect.objectContaining({ path: 'workerz', line: original.split('\n').length })]);
    writeFileSync(config, original);
  });

  it('job_not_found exits 2; --debug adds the stack', () => {
    const run = lily(['jobs', 'show', 'missing']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('job_not_found');
    expect(run.stderr).not.toMatch(STACK);
    expect(lily(['jobs', 'show', 'missing', '--debug']).stderr).toMatch(STACK);
  });
});
