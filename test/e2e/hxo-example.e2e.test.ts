/**
 * The walkthrough of docs/hxo.md, run as written by the built `lily` from a fresh temp
 * directory: `lily init --example hxo`, `lily up`, deploy.migrate (denied without a dry run,
 * the dry run, the apply, the re-apply), deploy.pack twice and one of its archives, `lily down`.
 * The commands are read from the doc and must be exactly the ones below; what each one did is
 * checked through its output and the run's receipt (`lily runs show --json`).
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, pidAlive, ROOT, requireBuild } from './cli-live-process.js';

/** The `$ lily …` lines of the "## Walkthrough" section of docs/hxo.md (headings in code blocks do not count). */
const walkthrough = (): string[] => {
  const commands: string[] = [];
  let fenced = false;
  let inside = false;
  for (const line of readFileSync(join(ROOT, 'docs', 'hxo.md'), 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && line.startsWith('## ')) inside = line === '## Walkthrough';
    else if (inside && fenced && line.startsWith('$ lily ')) commands.push(line.slice(2).trim());
  }
  return commands;
};

let cwd: string;
let pids: number[] = [];
let done = 0;
const project = () => join(cwd, 'notes');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `lily` with these arguments in the temp directory (no Lily variables from this shell). */
const lily = (args: string[]): Ran => {
  const env: Record<string, string> = { NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('LILY_') && k !== 'NO_COLOR' && k !== 'FORCE_COLOR') env[k] = v;
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** The next command of the walkthrough, which must be `command`; runs it. */
const step = (command: string): Ran => {
  expect(walkthrough()[done], `command ${done + 1} of the walkthrough in docs/hxo.md`).toBe(command);
  done += 1;
  const [bin, ...args] = command.split(/\s+/);
  expect(bin).toBe('lily');
  return lily(args);
};

const runIdOf = (ran: Ran): string => {
  const id = /^run (\w{26}) of job /m.exec(ran.stdout)?.[1];
  if (!id) throw new Error(`no run id in:\n${ran.stdout}\n${ran.stderr}`);
  return id;
};

interface Receipt {
  runId: string;
  status: string;
  dryRun: boolean;
  policy: { decision: string; rule: string | null; dryRunProof: string | null }[];
  steps: { stepId: string; attempts: { worker: string | null }[] }[];
  envelope: { payload: { shards: { key: string; output: Record<string, unknown> }[] } | null };
}

const receiptOf = (runId: string): Receipt => {
  const shown = lily(['runs', 'show', runId, '--json', '--dir', 'notes']);
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as Receipt;
};

const shards = (r: Receipt) => r.envelope.payload?.shards ?? [];
/** Each migrate shard as `[batch_id, rows_affected, already_applied, dry_run]`. */
const batches = (r: Receipt) =>
  shards(r).map(({ output: o }) => [o.batch_id, o.rows_affected, o.already_applied, o.dry_run]);
const pglite = () => join(project(), '.lily', 'hxo', 'pglite');

/** The entries of an uncompressed ustar archive: name and content. */
const untar = (tar: Buffer): { name: string; data: Buffer }[] => {
  const out: { name: string; data: Buffer }[] = [];
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, len: number) =>
      header
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = Number.parseInt(field(124, 12).trim(), 8);
    out.push({ name, data: tar.subarray(at + 512, at + 512 + size) });
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
};

let dryRunId: string;
let packHashes: [string, unknown][];

beforeAll(() => {
  requireBuild();
  if (!existsSync(join(ROOT, 'packs', 'hxo', 'dist', 'index.js')))
    throw new Error('packs/hxo/dist is missing: run `npm run build` (it builds the core, then the packs)');
  cwd = mkdtempSync(join(tmpdir(), 'lily-hxo-walkthrough-'));
});

afterAll(() => {
  if (!cwd) return;
  if (existsSync(join(project(), '.lily', 'deployment.json')))
    lily(['down', '--grace-ms', '2000', '--dir', 'notes']);
  for (const pid of pids) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(cwd, { recursive: true, force: true });
}, 60_000);

describe('docs/hxo.md walkthrough, from a fresh directory', () => {
  it('the walkthrough is the commands this test runs', () => {
    expect(walkthrough()).toHaveLength(10);
  });

  it('lily init --example hxo creates the project: config with the pack, policy, jobs, workspace', () => {
    const init = step('lily init --example hxo --dir notes');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('From the example hxo of @lily/hxo');
    for (const file of ['.lily/config.yaml', '.lily/jobs/hxo-migrate.job.yaml', 'migrations/001_notes.sql'])
      expect(init.stdout).toMatch(new RegExp(`created\\s+${file.replaceAll('.', '\\.')}`));
    expect(readFileSync(join(project(), '.lily', 'config.yaml'), 'utf8')).toMatch(
      /packs:\n\s+- "@lily\/hxo"/,
    );
    // Nothing installed in the project: the pack comes from Lily's installation.
    expect(existsSync(join(project(), 'node_modules'))).toBe(false);
    expect(existsSync(join(project(), 'package.json'))).toBe(false);
  });

  it('lily up starts nats-server, the engine and two workers (each loads the pack), all answering sys.ping', () => {
    const up = step('lily up --dir notes');
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.stdout).toMatch(/up: 1 engine, 2 worker\(s\), every one answering sys\.ping/);
    const state = JSON.parse(readFileSync(join(project(), '.lily', 'deployment.json'), 'utf8')) as {
      nats: { pid: number };
      processes: { id: string; pid: number }[];
    };
    expect(state.processes.map((p) => p.id)).toEqual(['engine', 'worker-1', 'worker-2']);
    pids = [state.nats.pid, ...state.processes.map((p) => p.pid)];
    for (const pid of pids) expect(pidAlive(pid)).toBe(true);
  }, 90_000);

  it('deploy.migrate without a dry run is denied by the kind: nothing dispatched, no database', () => {
    const denied = step('lily jobs run hxo-migrate --follow --dir notes');
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/migrate #1\s+denied by policy \(rule kind\.require_dry_run\)/);
    expect(denied.stderr).toMatch(/job_policy_denied/);
    const receipt = receiptOf(runIdOf(denied));
    expect(receipt.status).toBe('failed');
    expect(receipt.policy).toMatchObject([{ decision: 'deny', rule: 'kind.require_dry_run' }]);
    expect(receipt.steps.flatMap((s) => s.attempts)).toEqual([]);
    expect(existsSync(pglite())).toBe(false);
  }, 60_000);

  it('the dry run runs both batches on the workers and rolls back: still no database', () => {
    const dry = step('lily jobs run hxo-migrate --dry-run --follow --dir notes');
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/status\s+succeeded/);
    dryRunId = runIdOf(dry);
    const receipt = receiptOf(dryRunId);
    expect(receipt.dryRun).toBe(true);
    expect(batches(receipt)).toEqual([
      [0, 4, false, true],
      [1, 1, false, true],
    ]);
    expect(receipt.steps[0]?.attempts.map((a) => a.worker).every((w) => w === '1' || w === '2')).toBe(true);
    expect(existsSync(pglite())).toBe(false);
  }, 240_000);

  it('the apply is allowed on the proof of that dry run and creates the database', () => {
    const apply = step('lily jobs run hxo-migrate --follow --dir notes');
    expect(apply.code, apply.stderr).toBe(0);
    const receipt = receiptOf(runIdOf(apply));
    expect(receipt.policy).toMatchObject([{ decision: 'allow', dryRunProof: dryRunId }]);
    expect(batches(receipt)).toEqual([
      [0, 4, false, false],
      [1, 1, false, false],
    ]);
    expect(existsSync(pglite())).toBe(true);
  }, 240_000);

  it('the same apply again is a no-op: both batches already applied', () => {
    const again = step('lily jobs run hxo-migrate --follow --dir notes');
    expect(again.code, again.stderr).toBe(0);
    expect(batches(receiptOf(runIdOf(again)))).toEqual([
      [0, 0, true, false],
      [1, 0, true, false],
    ]);
  }, 240_000);

  it('deploy.pack: reproducible archives of src/, the same sha256 per partition on a second run', () => {
    const hashes = (ran: Ran) => {
      expect(ran.code, ran.stderr).toBe(0);
      const receipt = receiptOf(runIdOf(ran));
      expect(receipt.status).toBe('succeeded');
      return shards(receipt).map((s): [string, unknown] => [s.key, s.output.sha256]);
    };
    packHashes = hashes(step('lily jobs run hxo-pack-src --follow --dir notes'));
    expect(packHashes.map(([key]) => key)).toEqual([
      '0000-partition-0',
      '0001-partition-1',
      '0002-partition-2',
      '0003-partition-3',
    ]);
    expect(hashes(step('lily jobs run hxo-pack-src --follow --dir notes'))).toEqual(packHashes);
  }, 120_000);

  it('an archive is an artifact: its bytes have the recorded sha256 and hold the sources', () => {
    const got = step(
      'lily artifacts get hxo/pack/0000-partition-0.tar.gz --output partition-0.tar.gz --dir notes',
    );
    expect(got.code, got.stderr).toBe(0);
    const written = /^wrote .+ \(hxo\/pack\/0000-partition-0\.tar\.gz\) to (\S+)$/m.exec(got.stdout)?.[1];
    if (!written) throw new Error(`no file named in:\n${got.stdout}`);
    const gz = readFileSync(written);
    expect(createHash('sha256').update(gz).digest('hex')).toBe(packHashes[0]?.[1]);
    const entries = untar(gunzipSync(gz));
    expect(entries.map((e) => e.name)).toEqual(['src/app/main.ts', 'src/core/config.ts', 'src/core/ids.ts']);
    for (const e of entries) expect(e.data).toEqual(readFileSync(resolve(project(), e.name)));
  }, 60_000);

  it('lily down stops every process of the deployment; nothing is left running', () => {
    const down = step('lily down --dir notes');
    expect(down.code, down.stderr).toBe(0);
    for (const pid of pids) expect(pidAlive(pid), `pid ${pid}`).toBe(false);
    expect(lily(['status', '--dir', 'notes']).code).toBe(1);
    expect(done).toBe(walkthrough().length);
  }, 60_000);
});
