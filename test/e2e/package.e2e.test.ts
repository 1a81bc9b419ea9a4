/**
 * Lily as a package, used the way a user's own repository uses it: `npm pack` this repository,
 * install the tarball (and fast-check) into a fresh project under the system temp dir, where
 * nothing of this repository is visible, then, from that project and with only what npm
 * installed: type-check a TypeScript file against the published types, property-test a
 * blueprint and a pack that import only `lily` with `lily/testing`, and run a job on them with
 * the installed `lily` binary (init, the pack in config.yaml, its executor allowed in
 * policy.yaml, `jobs run --follow --json`).
 *
 * Slow when npm's cache is cold (it downloads every dependency once): npm's own cache is shared
 * across runs and `--prefer-offline` uses it. Skipped, saying so, only when `npm` is missing.
 * The packed and installed sizes are printed; docs/package.md records them.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, requireBuild } from './cli-live-process.js';

const FIXTURE = join(ROOT, 'test/fixtures/user-project');
const INSTALL_TIMEOUT_MS = 600_000;

/** The environment of a shell in the user's project: nothing npm set for this repository's own scripts. */
const userEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^npm_/i.test(k) || k === 'INIT_CWD' || k.startsWith('LILY_NATS_')) continue;
    env[k] = v;
  }
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0' };
};

const run = (cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, env: userEnv(), encoding: 'utf8', timeout });

const ok = (r: SpawnSyncReturns<string>, what: string): string => {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
};

/** Bytes on disk under a directory, as `du` counts them: allocated blocks, each hard-linked file once. */
const diskUsage = (path: string, seen = new Set<string>()): number => {
  const stat = lstatSync(path);
  const inode = `${stat.dev}:${stat.ino}`;
  if (seen.has(inode)) return 0;
  seen.add(inode);
  if (!stat.isDirectory()) return stat.blocks * 512;
  return readdirSync(path).reduce((sum, name) => sum + diskUsage(join(path, name), seen), stat.blocks * 512);
};

const npmVersion = run('npm', ['--version'], tmpdir(), 30_000);
const npmMissing = npmVersion.error !== undefined || npmVersion.status !== 0;
if (npmMissing)
  console.warn('package.e2e: skipped, `npm` is not on PATH (it packs and installs the tarball)');

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

describe.skipIf(npmMissing)('lily installed from its tarball into a fresh project', () => {
  let dir: string;
  let project: string;
  let packed: Packed;
  const inProject = (cmd: string, args: string[], timeout?: number) => run(cmd, args, project, timeout);
  const lily = (args: string[]) => inProject('npx', ['--no-install', 'lily', ...args], 120_000);

  beforeAll(() => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'lily-package-e2e-'));
    expect(relative(ROOT, dir).startsWith('..'), 'the project lies outside the repository').toBe(true);
    // --ignore-scripts: `npm test` built dist/ before vitest started; the prepack build would
    // rewrite dist/ under the other e2e files running the CLI from it at the same time.
    const pack = ok(
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT),
      'npm pack',
    );
    packed = (JSON.parse(pack) as Packed[])[0] as Packed;
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2)}\n`,
    );
    ok(
      inProject(
        'npm',
        ['install', join(dir, packed.filename), 'fast-check', '--prefer-offline', '--no-audit', '--no-fund'],
        INSTALL_TIMEOUT_MS,
      ),
      'npm install',
    );
    for (const part of ['blueprints', 'packs', 'test'])
      cpSync(join(FIXTURE, part), join(project, part), { recursive: true });
    const sizes = {
      tarballBytes: packed.size,
      unpackedBytes: packed.unpackedSize,
      files: packed.files.length,
      nodeModulesBytes: diskUsage(join(project, 'node_modules')),
    };
    console.log(`package.e2e sizes ${JSON.stringify(sizes)}`);
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => {
    if (!dir) return;
    if (project) lily(['down', '--grace-ms', '2000']);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('packs the build, its types and the binary, and no sources, tests or source maps', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'bin/lily.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/testing/index.d.ts',
    ])
      expect(paths).toContain(needed);
    expect(paths.filter((p) => /^(src|test|bench|docs|examples|scripts)\/|\.map$/.test(p))).toEqual([]);
  });

  it('resolves lily and lily/testing to the installed package, which holds no sources', () => {
    const where = ok(
      inProject('node', [
        '--input-type=module',
        '-e',
        "const m = await import('lily'); await import('lily/testing');" +
          "console.log(JSON.stringify({ lily: import.meta.resolve('lily'), testing: import.meta.resolve('lily/testing'), n: Object.keys(m).length }))",
      ]),
      'import lily',
    );
    const resolved = JSON.parse(where) as { lily: string; testing: string; n: number };
    const installed = `file://${join(project, 'node_modules/lily/dist')}/`;
    expect(resolved.lily).toBe(`${installed}index.js`);
    expect(resolved.testing).toBe(`${installed}testing/index.js`);
    expect(resolved.n).toBeGreaterThan(20);
    expect(readdirSync(join(project, 'node_modules/lily')).sort()).toEqual([
      'README.md',
      'bin',
      'dist',
      'package.json',
    ]);
  });

  it('type-checks a TypeScript blueprint and executor against the published types', () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        include: ['typed.ts'],
      }),
    );
    writeFileSync(
      join(project, 'typed.ts'),
      [
        "import { compileBlueprint, createBuiltinCatalog, defineBlueprint, type ExecutorFn, hasErrorCode } from 'lily';",
        "import { checkBlueprint } from 'lily/testing';",
        "import fc from 'fast-check';",
        "import { z } from 'zod';",
        'export const typed = defineBlueprint({',
        "  id: 'typed.v1', version: '1.0.0', summary: 'typed',",
        '  bindings: z.object({ n: z.number().int().min(1).default(2) }),',
        '  input: z.object({}), output: z.object({}),',
        "  compile: (b) => ({ steps: Array.from({ length: b.n }, (_, i) => ({ id: 's' + String(i), executor: 'echo' })) }),",
        '});',
        'export const upper: ExecutorFn = async (ctx) => ({ output: String(ctx.request.input).toUpperCase(), artifacts: [] });',
        'const steps: number = compileBlueprint(createBuiltinCatalog(), typed, { n: 3 }).plan.steps.length;',
        'checkBlueprint(typed, fc.record({ n: fc.integer({ min: 1, max: 4 }) }), { numRuns: 5 });',
        'export let issues: unknown = steps;',
        "try { compileBlueprint(createBuiltinCatalog(), typed, { n: 0 }); } catch (e) { if (hasErrorCode(e, 'blueprint_bindings_invalid')) issues = e.data.issues; }",
        '// @ts-expect-error: compile must return a plan body',
        "defineBlueprint({ id: 'bad.v1', version: '1.0.0', summary: 'bad', bindings: z.object({}), input: z.object({}), output: z.object({}), compile: () => 42 });",
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = inProject(process.execPath, [tsc, '-p', 'tsconfig.json']);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
  }, 180_000);

  it('property-tests a blueprint and a pack that import only lily, with lily/testing and fast-check', () => {
    const out = ok(inProject('node', ['test/greet.prop.mjs'], 300_000), 'node test/greet.prop.mjs');
    const report = JSON.parse(out) as {
      checked: number;
      steps: string[];
      refused: { code: string; data: unknown };
    };
    expect(report.steps).toEqual(['hello', 'shout']);
    // Without the pack's catalog the real compile boundary refuses the `shout` step.
    expect(report.refused).toMatchObject({
      code: 'blueprint_compile_failed',
      data: { reason: 'unknown_executor', executor: 'shout' },
    });
  }, 180_000);

  it('runs a job on the pack with the installed lily binary: init, config, policy, jobs run --follow --json', () => {
    const init = lily(['init']);
    expect(init.status, init.stderr).toBe(0);
    const config = join(project, '.lily/config.yaml');
    const policy = join(project, '.lily/policy.yaml');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(/^packs: \[\]$/m, "packs: ['./packs/greet-pack.mjs']"),
    );
    writeFileSync(
      policy,
      readFileSync(policy, 'utf8').replace(/^executors: \[(.*)\]$/m, 'executors: [$1, shout]'),
    );
    expect(readFileSync(config, 'utf8')).toContain('greet-pack.mjs');
    expect(readFileSync(policy, 'utf8')).toMatch(/^executors: \[.*shout\]$/m);
    cpSync(join(FIXTURE, 'jobs/greet.job.yaml'), join(project, '.lily/jobs/greet.job.yaml'));

    const show = lily(['blueprints', 'show', 'greet.v1', '--json']);
    expect(show.status, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      id: 'greet.v1',
      bindings: { properties: { loud: { default: true }, retries: { default: 0 } } },
    });

    const result = lily(['jobs', 'run', 'greet', '--follow', '--json']);
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    const doc = JSON.parse(result.stdout) as {
      status: string;
      engine: string;
      receipt: {
        envelope: { status: string; payload: unknown };
        steps: { stepId: string; status: string }[];
      };
    };
    expect(doc).toMatchObject({ status: 'succeeded', engine: 'ephemeral' });
    expect(doc.receipt.envelope).toMatchObject({ status: 'succeeded', payload: { message: 'HELLO LILY' } });
    expect(doc.receipt.steps.map((s) => [s.stepId, s.status])).toEqual([
      ['hello', 'succeeded'],
      ['shout', 'succeeded'],
    ]);

    const quiet = lily(['jobs', 'run', 'greet', '--input', 'name=ada', '--json']);
    expect(quiet.status, quiet.stderr).toBe(0);
    expect(JSON.parse(quiet.stdout)).toMatchObject({
      receipt: { envelope: { payload: { message: 'HELLO ADA' } } },
    });
  }, 180_000);
});
