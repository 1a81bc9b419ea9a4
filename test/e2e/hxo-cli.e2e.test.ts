import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/lily.js');
const PACK = join(ROOT, 'packs/hxo/dist/index.js');
const FIXTURE = join(ROOT, 'test/fixtures/hxo/workspace');

const POLICY = `default_principal: operator
principals:
  operator: { capabilities: ["hxo:force-merge"] }
executors: [command, echo, pack_backend, sql_migrate, warm_registry, prime_caches, index_assets, docs_index]
commands: [node]
workspace:
  allow: ["**"]
  deny: [".git/**", ".lily/db/**", ".lily/nats/**", ".lily/keys/**", ".lily/artifacts/**", ".lily/runs/**", ".lily/logs/**", "**/.env"]
approvals: []
require_dry_run: []
`;

const JOBS: Record<string, string> = {
  'hxo-migrate':
    'target: { kind: blueprint, id: hxo.deploy-migrate.v1 }\nbindings: { roots: [migrations], batch_size: 2 }',
  'hxo-pack':
    'target: { kind: blueprint, id: hxo.deploy-pack.v1 }\nbindings: { roots: [src, packages], chunk_size_bytes: 200 }',
  'hxo-docs-v1':
    '# still on the first kind version\ntarget: { kind: blueprint, id: hxo.docs-index.v1 }\nbindings: { roots: [docs] }',
};

let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: () => Record<string, unknown> & { error?: { code: string; data: Record<string, unknown> } };
}

const lily = (args: string[]): Run => {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 90_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json: () => JSON.parse(r.stdout) };
};

type Shard = { key: string; output: Record<string, unknown> };
const shardsOf = (run: Run): Shard[] =>
  (run.json() as { receipt: { envelope: { payload: { shards: Shard[] } } } }).receipt.envelope.payload.shards;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lily-hxo-e2e-'));
  cpSync(FIXTURE, dir, { recursive: true });
  expect(lily(['init']).code).toBe(0);
  const config = join(dir, '.lily', 'config.yaml');
  writeFileSync(
    config,
    readFileSync(config, 'utf8').replace('packs: []', `packs:\n  - ${JSON.stringify(PACK)}`),
  );
  writeFileSync(join(dir, '.lily', 'policy.yaml'), POLICY);
  for (const [id, body] of Object.entries(JOBS))
    writeFileSync(join(dir, '.lily', 'jobs', `${id}.job.yaml`), `id: ${id}\ntitle: ${id}\n${body}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the HXO pack through the built CLI', () => {
  it('deploy.migrate: denied without a dry run; the dry run changes nothing; the apply names it', () => {
    const denied = lily(['jobs', 'run', 'hxo-migrate', '--json']);
    expect(denied.code).toBe(1);
    expect(denied.json().error).toMatchObject({
      code: 'job_policy_denied',
      data: { rule: 'kind.require_dry_run', reasons: [expect.stringContaining('deploy.migrate@1')] },
    });
    const dry = lily(['jobs', 'run', 'hxo-migrate', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(shardsOf(dry).map((s) => [s.output.rows_affected, s.output.dry_run])).toEqual([
      [3, true],
      [6, true],
    ]);
    expect(existsSync(join(dir, '.lily', 'hxo', 'pglite'))).toBe(false);
    const apply = lily(['jobs', 'run', 'hxo-migrate', '--json']);
    expect(apply.code, apply.stderr).toBe(0);
    const receipt = (apply.json() as { receipt: { policy: { dryRunProof: string | null }[] } }).receipt;
    expect(receipt.policy[0]?.dryRunProof).toBe(dry.json().runId);
    expect(shardsOf(apply).map((s) => [s.output.rows_affected, s.output.already_applied])).toEqual([
      [3, false],
      [6, false],
    ]);
    const again = lily(['jobs', 'run', 'hxo-migrate', '--json']);
    expect(shardsOf(again).map((s) => [s.output.rows_affected, s.output.already_applied])).toEqual([
      [0, true],
      [0, true],
    ]);
  }, 120_000);

  it('deploy.pack twice gives the same archive hashes', () => {
    const hashes = () => {
      const run = lily(['jobs', 'run', 'hxo-pack', '--json']);
      expect(run.code, run.stderr).toBe(0);
      return shardsOf(run).map((s) => [s.key, s.output.sha256]);
    };
    const first = hashes();
    expect(first.length).toBeGreaterThan(1);
    expect(hashes()).toEqual(first);
  }, 60_000);

  it('a deprecated kind validates with a warning; jobs upgrade shows the diff, then writes with --yes', () => {
    const validate = lily(['jobs', 'validate', 'hxo-docs-v1', '--json']);
    expect(validate.code).toBe(0);
    expect(validate.json()).toMatchObject({
      ok: true,
      jobs: [{ warnings: [expect.stringContaining('docs.index@1 is deprecated')] }],
    });
    // jobs run says it too: the engine's answer to the request carries the warning.
    const run = lily(['jobs', 'run', 'hxo-docs-v1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: job hxo-docs-v1: job kind docs\.index@1 is deprecated/);
    const json = lily(['jobs', 'run', 'hxo-docs-v1', '--json']);
    expect(json.json()).toMatchObject({ warnings: [expect.stringContaining('docs.index@1 is deprecated')] });
    const file = join(dir, '.lily', 'jobs', 'hxo-docs-v1.job.yaml');
    const before = readFileSync(file, 'utf8');
    const shown = lily(['jobs', 'upgrade', 'hxo-docs-v1']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('-target: { kind: blueprint, id: hxo.docs-index.v1 }');
    expect(shown.stdout).toContain('+target: { kind: blueprint, id: hxo.docs-index.v2 }');
    expect(shown.stdout).toContain('lily jobs upgrade hxo-docs-v1 --yes');
    expect(readFileSync(file, 'utf8')).toBe(before);
    const written = lily(['jobs', 'upgrade', 'hxo-docs-v1', '--yes', '--json']);
    expect(written.json()).toMatchObject({ changed: true, written: true, to: { id: 'hxo.docs-index.v2' } });
    expect(readFileSync(file, 'utf8')).toBe(before.replace('hxo.docs-index.v1', 'hxo.docs-index.v2'));
    expect(lily(['jobs', 'validate', 'hxo-docs-v1', '--json']).json()).toMatchObject({
      jobs: [{ warnings: [] }],
    });
  });
});
