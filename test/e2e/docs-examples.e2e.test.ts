/**
 * The examples of docs/blueprints.md and docs/testing.md cannot go stale:
 * - examples/blueprints/ is a small project of its own that imports `lily` as a user's project
 *   does (resolved through this package's `exports` to the build): it type-checks with its own
 *   tsconfig.json, compiles, and passes its property test;
 * - every fenced block tagged `file=<path>` is that file, verbatim (after its header comment);
 * - every block tagged `job=<id>` is written to a fresh project and run with the built CLI, and
 *   the block tagged `payload=<id>` is exactly the run's payload (`durationMs` aside).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBlueprint, createBuiltinCatalog, hasErrorCode, installPack } from 'lily';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkReleaseCheck } from '../../examples/blueprints/release-check.check.js';
import { releaseCheck } from '../../examples/blueprints/release-check.js';
import releasePack from '../../examples/blueprints/release-pack.js';
import { lily, ROOT, requireBuild } from './cli-live-process.js';

const DOCS = ['docs/blueprints.md', 'docs/testing.md'];

interface Block {
  doc: string;
  /** `key=value` pairs of the fence's info string (```yaml job=wc). */
  tags: Record<string, string>;
  text: string;
}

/** Fenced code blocks of a markdown file, with the tags of their info strings. */
const blocksOf = (doc: string): Block[] => {
  const blocks: Block[] = [];
  const fence = /^```(\S*)([^\n]*)\n([\s\S]*?)^```$/gm;
  for (const m of readFileSync(join(ROOT, doc), 'utf8').matchAll(fence)) {
    const tags = Object.fromEntries(
      (m[2] ?? '')
        .trim()
        .split(/\s+/)
        .filter((t) => t.includes('='))
        .map((t) => t.split('=', 2) as [string, string]),
    );
    blocks.push({ doc, tags, text: m[3] ?? '' });
  }
  return blocks;
};

const blocks = DOCS.flatMap(blocksOf);
const tagged = (tag: string) => blocks.filter((b) => b.tags[tag] !== undefined);

/** Drops what differs from run to run (`durationMs`), everywhere in a JSON value. */
const stable = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'durationMs')
      .map(([k, v]) => [k, stable(v)]),
  );
};

describe('examples/blueprints: a user project importing lily', () => {
  beforeAll(() => requireBuild());

  it('type-checks with its own tsconfig.json against the published types', () => {
    const tsc = spawnSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'examples/blueprints/tsconfig.json'],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(tsc.status, `${tsc.stdout}${tsc.stderr}`).toBe(0);
  }, 120_000);

  it('compiles release-check.v1 to the plan the guide shows, with a stable hash', () => {
    const catalog = createBuiltinCatalog();
    installPack(catalog, releasePack, './release-pack.js');
    const { plan, planHash } = compileBlueprint(catalog, releaseCheck, { package_manager: 'pnpm' });
    expect(plan.steps.map((s) => [s.id, s.needs])).toEqual([
      ['install', []],
      ['test', ['install']],
      ['pack', ['test']],
    ]);
    expect(plan.steps[1]?.retry.maxAttempts).toBe(2);
    expect(plan.steps[2]?.gates[0]).toMatchObject({ id: 'lint', required: false });
    expect(compileBlueprint(catalog, releaseCheck, { package_manager: 'pnpm' }).planHash).toBe(planHash);
    let refused: unknown;
    try {
      compileBlueprint(catalog, releaseCheck, { package_manager: 'yarn' });
    } catch (e) {
      refused = e;
    }
    expect(hasErrorCode(refused, 'blueprint_bindings_invalid')).toBe(true);
  });

  it('passes its property test (docs/testing.md)', () => {
    checkReleaseCheck(50);
  }, 120_000);
});

describe('code blocks tagged file=<path>', () => {
  it('are there', () => {
    expect(tagged('file').map((b) => b.tags.file)).toEqual(
      expect.arrayContaining([
        'examples/blueprints/release-check.ts',
        'examples/blueprints/release-pack.ts',
        'examples/blueprints/release-check.check.ts',
      ]),
    );
  });

  it.each(tagged('file').map((b) => [`${b.doc}: ${b.tags.file}`, b] as const))(
    '%s is the file',
    (_, block) => {
      const file = readFileSync(join(ROOT, block.tags.file ?? ''), 'utf8');
      expect(block.text).toBe(file.replace(/^\/\*\*[\s\S]*?\*\/\n/, ''));
    },
  );
});

describe('job examples of the built-in blueprints, run as written', () => {
  let dir: string;
  const jobs = tagged('job');

  beforeAll(() => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'lily-docs-jobs-'));
    expect(lily(['init', '--dir', dir]).code).toBe(0);
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('cover command.v1, pipeline.v1 and council.v1, each with its payload', () => {
    const targets = jobs.map((b) => /target: \{ kind: blueprint, id: ([\w.]+) \}/.exec(b.text)?.[1]);
    expect(targets.sort()).toEqual(['command.v1', 'council.v1', 'pipeline.v1']);
    for (const job of jobs) expect(tagged('payload').map((b) => b.tags.payload)).toContain(job.tags.job);
  });

  it.each(jobs.map((b) => [b.tags.job ?? '', b] as const))(
    '%s runs and produces the payload shown',
    (id, block) => {
      writeFileSync(join(dir, '.lily/jobs', `${id}.job.yaml`), block.text);
      const run = lily(['jobs', 'run', id, '--json', '--dir', dir]);
      expect(run.code, `${run.stdout}${run.stderr}`).toBe(0);
      const doc = run.json() as { status: string; receipt: { envelope: { payload: unknown } } };
      expect(doc.status).toBe('succeeded');
      const shown = tagged('payload').find((b) => b.tags.payload === id);
      expect(stable(doc.receipt.envelope.payload)).toEqual(stable(JSON.parse(shown?.text ?? 'null')));
    },
    60_000,
  );
});
