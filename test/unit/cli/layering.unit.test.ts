/**
 * The CLI's arrow (design.md §2: `cli -> client, contracts`) is held by lint: the project's own
 * biome.json, run on probe files placed where CLI and client sources live, refuses every other
 * layer (and the storage and NATS packages) and accepts the client and the contracts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lily-layering-'));
  const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
  // The probes live outside the repository: no VCS, no ignore file, the same rules.
  const { $schema: _schema, vcs: _vcs, ...rules } = config;
  writeFileSync(join(dir, 'biome.json'), JSON.stringify({ ...rules, vcs: { enabled: false } }));
  mkdirSync(join(dir, 'src', 'cli', 'actions'), { recursive: true });
  mkdirSync(join(dir, 'src', 'client'), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lints one probe file `import * as m from '<spec>'` at `path`; true when lint refuses it. */
const refused = (path: string, spec: string): boolean => {
  writeFileSync(join(dir, path), `import * as m from '${spec}';\n\nexport const probe = m;\n`);
  const r = spawnSync(BIOME, ['lint', '--max-diagnostics=50', path], { cwd: dir, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 && !out.includes('noRestrictedImports')) throw new Error(`biome failed:\n${out}`);
  return out.includes('noRestrictedImports');
};

describe('lint holds the CLI to the client', () => {
  it.each([
    '../../eventstore/storage.js',
    '../../actors/bus/bus.js',
    '../../machines/program.js',
    '../../blueprints/catalog.js',
    '../../project/open.js',
    '../../deployment/connect.js',
    '../../policy/decide.js',
    '../../testing/index.js',
    'lmdb',
    '@nats-io/transport-node',
    'xstate',
  ])('src/cli may not import %s', (spec) => {
    expect(refused('src/cli/actions/probe.ts', spec)).toBe(true);
  });

  it.each(['../../client/index.js', '../../contracts/errors.js', '../render/table.js', 'commander'])(
    'src/cli may import %s',
    (spec) => {
      expect(refused('src/cli/actions/probe.ts', spec)).toBe(false);
    },
  );

  it('src/client may not import src/cli', () => {
    expect(refused('src/client/probe.ts', '../cli/render/table.js')).toBe(true);
    expect(refused('src/client/probe.ts', '../deployment/connect.js')).toBe(false);
  });
});
