import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveShard } from '../../packs/hxo/src/io/shards.js';
import { isScript } from '../../packs/hxo/src/model/plan-dag.js';
import { extensionOf } from '../../packs/hxo/src/model/plan-types.js';
import { context, hxoCatalog, partitionerOf } from '../int/hxo/harness.js';

const EXTENSIONS = ['.ts', '.js', '.tsx', '.md', '.sql', '.png', '.css', '.woff', '.txt', '.json'];
const segment = fc.constantFrom('a', 'b', 'pkg', 'docs', 'm', 'deep');

/** A random tree: unique paths (a few package.json among them) with sizes, scripts importing each other. */
const tree = fc
  .uniqueArray(
    fc.record({
      dirs: fc.array(segment, { maxLength: 3 }),
      name: fc.oneof(
        fc
          .tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), fc.constantFrom(...EXTENSIONS))
          .map(([n, e]) => n + e),
        fc.constant('package.json'),
        fc.constant('index.md'),
      ),
      size: fc.nat({ max: 3000 }),
      imports: fc.array(fc.nat(), { maxLength: 3 }),
    }),
    { minLength: 0, maxLength: 25, selector: (f) => [...f.dirs, f.name].join('/') },
  )
  .map((files) => files.map((f) => ({ ...f, path: [...f.dirs, f.name].join('/') })));

type Tree = { path: string; size: number; imports: number[] }[];

const specifier = (from: string, to: string) => {
  const rel = posix.relative(posix.dirname(from), to).replace(/\.tsx?$/, '.js');
  return rel.startsWith('.') ? rel : `./${rel}`;
};

const write = async (dir: string, files: Tree) => {
  const scripts = files.filter((f) => isScript(f.path));
  for (const f of files) {
    const imports = isScript(f.path)
      ? f.imports
          .map((i) => `import '${specifier(f.path, scripts[i % scripts.length]?.path as string)}';\n`)
          .join('')
      : '';
    const body = imports + 'x'.repeat(Math.max(0, f.size - imports.length));
    await mkdir(dirname(join(dir, f.path)), { recursive: true });
    await writeFile(join(dir, f.path), body);
  }
};

const ELIGIBLE: Record<string, (path: string) => boolean> = {
  by_filesize: () => true,
  by_module: () => true,
  by_asset_bucket: () => true,
  by_sql_batch: (p) => extensionOf(p) === '.sql',
  by_route_map: (p) => ['.md', '.mdx', '.markdown'].includes(extensionOf(p)),
  by_dag_depth: isScript,
};

describe('HXO partitioners, random workspaces', () => {
  it('every partitioner covers every eligible file exactly once, and executors see the same members', async () => {
    const catalog = hxoCatalog();
    await fc.assert(
      fc.asyncProperty(
        tree,
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 500, max: 5000 }),
        async (files, batch, chunk) => {
          const dir = await mkdtemp(join(tmpdir(), 'lily-hxo-prop-'));
          try {
            await write(dir, files);
            for (const [name, eligible] of Object.entries(ELIGIBLE)) {
              const config = { roots: ['.'], stage_kind: 'prop', batch_size: batch, chunk_size_bytes: chunk };
              const shards = await partitionerOf(catalog, name)(context(dir, { with: config }));
              expect(new Set(shards.map((s) => s.key)).size).toBe(shards.length);
              const covered: string[] = [];
              for (const shard of shards) {
                const ctx = context(dir, { with: { ...config, partitioner: name }, input: shard.input });
                const { files: members } = await resolveShard(ctx);
                expect(members.length).toBeGreaterThan(0);
                covered.push(...members.map((m) => m.path));
              }
              const expected = files.map((f) => f.path).filter(eligible);
              expect([...covered].sort()).toEqual([...expected].sort());
              expect(new Set(covered).size).toBe(covered.length);
            }
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 240_000);
});
