/**
 * The console's arrows (docs/decisions/022, 023) are held by lint: the project's biome.json, run
 * on probe files placed where the console's sources live. `cli -> ui -> client, contracts`;
 * src/ui/model imports nothing; src/ui/web (the browser bundle) imports only the model,
 * preact and htm.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lily-ui-layering-'));
  const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as Record<string, unknown>;
  const { $schema: _schema, vcs: _vcs, ...rules } = config;
  writeFileSync(join(dir, 'biome.json'), JSON.stringify({ ...rules, vcs: { enabled: false } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lints `import * as m from '<spec>'` at `path`; true when lint refuses the import. */
const refused = (path: string, spec: string): boolean => {
  mkdirSync(join(dir, dirname(path)), { recursive: true });
  writeFileSync(join(dir, path), `import * as m from '${spec}';\n\nexport const probe = m;\n`);
  const r = spawnSync(BIOME, ['lint', '--max-diagnostics=50', path], { cwd: dir, encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 && !out.includes('noRestrictedImports')) throw new Error(`biome failed:\n${out}`);
  return out.includes('noRestrictedImports');
};

describe('lint holds the console to its arrows', () => {
  it('src/cli may start the console (cli -> ui)', () => {
    expect(refused('src/cli/actions/probe.ts', '../../ui/index.js')).toBe(false);
  });

  it.each([
    '../../actors/bus/bus.js',
    '../../eventstore/storage.js',
    '../../machines/program.js',
    '../../project/open.js',
    '../../deployment/connect.js',
    '../../cli/render/table.js',
    'lmdb',
    '@nats-io/transport-node',
    'xstate',
  ])('src/ui/server may not import %s', (spec) => {
    expect(refused('src/ui/server/probe.ts', spec)).toBe(true);
  });

  it.each(['../../client/index.js', '../../contracts/errors.js', '../model/wire.js', 'node:http'])(
    'src/ui/server may import %s',
    (spec) => {
      expect(refused('src/ui/server/probe.ts', spec)).toBe(false);
    },
  );

  it.each(['node:fs', '../../client/index.js', '../../contracts/errors.js', '../server/http.js', 'preact'])(
    'src/ui/model may not import %s',
    (spec) => {
      expect(refused('src/ui/model/probe.ts', spec)).toBe(true);
    },
  );

  it.each(['node:http', '../../client/index.js', '../../contracts/errors.js', '../server/start.js', 'zod'])(
    'src/ui/web may not import %s',
    (spec) => {
      expect(refused('src/ui/web/probe.ts', spec)).toBe(true);
    },
  );

  it.each(['../model/timeline.js', 'preact', 'preact/hooks', 'htm'])('src/ui/web may import %s', (spec) => {
    expect(refused('src/ui/web/probe.ts', spec)).toBe(false);
  });
});
