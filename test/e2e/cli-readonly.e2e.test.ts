import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedRun } from './cli-readonly-fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/lily.js');
const OK_RUN = '01HZX3K7Q9V5T2M8N4P6R0S1W1';
const FAILED_RUN = '01HZX3K7Q9V5T2M8N4P6R0S1W2';
const TAMPERED_RUN = '01HZX3K7Q9V5T2M8N4P6R0S1W3';
const DRIFTED_RUN = '01HZX3K7Q9V5T2M8N4P6R0S1W4';
const UNKNOWN_RUN = '01HZX3K7Q9V5T2M8N4P6R0S1ZZ';
const STACK = /\n\s+at .+[:(]/;

let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  raw: Buffer;
  json: () => Record<string, unknown>;
}

const lily = (args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Run => {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? dir,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    timeout: 30_000,
  });
  const stdout = result.stdout.toString('utf8');
  return {
    code: result.status,
    stdout,
    stderr: result.stderr.toString('utf8'),
    raw: result.stdout,
    json: () => JSON.parse(stdout) as Record<string, unknown>,
  };
};

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5);
const DAY = 86_400_000;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` before the e2e tests (npm test does).');
  }
  dir = mkdtempSync(join(tmpdir(), 'lily-e2e-ro-'));
  expect(lily(['init']).code).toBe(0);
  await seedRun(dir, { runId: OK_RUN, at: T0 });
  await seedRun(dir, { runId: FAILED_RUN, at: T0 + DAY, deny: 'done' });
  await seedRun(dir, { runId: TAMPERED_RUN, at: T0 + 2 * DAY, tamper: 'nondeterministic' });
  await seedRun(dir, { runId: DRIFTED_RUN, at: T0 + 3 * DAY, tamper: 'drift' });
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('lily runs', () => {
  it('list: newest first, with status and steps; --status, --job and --limit filter', () => {
    const all = lily(['runs', 'list', '--json']);
    expect(all.code).toBe(0);
    const runs = all.json().runs as { runId: string; status: string; steps: unknown }[];
    expect(runs.map((r) => r.runId)).toEqual([DRIFTED_RUN, TAMPERED_RUN, FAILED_RUN, OK_RUN]);
    expect(runs[3]).toMatchObject({ jobId: 'hello', status: 'succeeded', steps: { ok: 3, total: 3 } });
    expect(runs[2]).toMatchObject({ status: 'failed', steps: { ok: 2, total: 3 } });
    const failed = lily(['runs', 'list', '--status', 'failed', '--json']).json();
    expect((failed.runs as { runId: string }[]).map((r) => r.runId)).toEqual([FAILED_RUN]);
    expect(lily(['runs', 'list', '--job', 'nope', '--json']).json()).toEqual({ runs: [], total: 0 });
    expect(lily(['runs', 'list', '--limit', '1', '--json']).json()).toMatchObject({ total: 4 });
    const human = lily(['runs', 'list']);
    expect(human.stdout).toMatch(new RegExp(`${OK_RUN}.*hello.*succeeded.*3/3`));
    const bad = lily(['runs', 'list', '--status', 'weird', '--json']);
    expect(bad.code).toBe(2);
    expect(bad.json()).toMatchObject({ error: { code: 'usage_invalid' } });
  });

  it('show: the receipt (steps, attempts, policy decisions, artifacts)', () => {
    const show = lily(['runs', 'show', OK_RUN, '--json']);
    expect(show.code).toBe(0);
    const receipt = show.json() as {
      status: string;
      steps: { stepId: string; attempts: unknown[] }[];
      policy: unknown[];
      artifacts: unknown[];
    };
    expect(receipt.status).toBe('succeeded');
    expect(receipt.steps.map((s) => s.stepId)).toEqual(['greet', 'versions', 'done']);
    expect(receipt.steps.every((s) => s.attempts.length === 1)).toBe(true);
    expect(receipt.policy).toHaveLength(3);
    expect(receipt.artifacts).toHaveLength(3);
    const denied = lily(['runs', 'show', FAILED_RUN]);
    expect(denied.stdout).toMatch(/Policy[\s\S]*done.*deny.*test.*denied by the test/);
    expect(denied.stdout).toMatch(/status\s+failed/);
  });

  it('events: one line per event; --json prints JSON lines', () => {
    const json = lily(['runs', 'events', OK_RUN, '--json']);
    expect(json.code).toBe(0);
    const lines = json.stdout.trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { seq: number; type: string });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]?.type).toBe('run.requested');
    expect(events[events.length - 1]?.type).toBe('run.completed');
    const human = lily(['runs', 'events', OK_RUN]).stdout.trim().split('\n');
    expect(human).toHaveLength(events.length);
    expect(human[human.length - 1]).toMatch(/run\.completed\s+succeeded/);
  });

  it('receipt --rebuild writes the three files, and a second rebuild is byte-identical', () => {
    const show = lily(['runs', 'receipt', OK_RUN, '--json']);
    expect(show.code).toBe(0);
    expect(show.json()).toMatchObject({ runId: OK_RUN, receipt: { status: 'succeeded' } });
    expect(lily(['runs', 'receipt', OK_RUN]).stdout).toContain(`# Run ${OK_RUN}: succeeded`);
    const first = lily(['runs', 'receipt', OK_RUN, '--rebuild', '--json']).json() as {
      dir: string;
      rebuild: { identical: boolean; files: { existed: boolean }[] };
    };
    expect(first.rebuild.identical).toBe(false);
    expect(first.rebuild.files.every((f) => !f.existed)).toBe(true);
    const before = readFileSync(join(first.dir, 'run_receipt.json'));
    const second = lily(['runs', 'receipt', OK_RUN, '--rebuild', '--json']).json();
    expect(second.rebuild).toEqual({
      identical: true,
      files: ['run_receipt.json', 'summary.md', 'events.jsonl'].map((name) => ({
        name,
        existed: true,
        identical: true,
      })),
    });
    expect(readFileSync(join(first.dir, 'run_receipt.json')).equals(before)).toBe(true);
    expect(lily(['runs', 'receipt', OK_RUN, '--rebuild']).stdout).toContain('byte-identical');
  });

  it('replay: folds the log through the pinned plan; --verify is green on a real history', () => {
    const plain = lily(['runs', 'replay', OK_RUN, '--json']);
    expect(plain.code).toBe(0);
    expect(plain.json()).toMatchObject({ status: 'succeeded', recordedStatus: 'succeeded', verified: false });
    const verified = lily(['runs', 'replay', OK_RUN, '--verify', '--json']);
    expect(verified.code).toBe(0);
    const out = verified.json();
    expect(out).toMatchObject({ status: 'succeeded', verified: true, events: 20 });
    expect(typeof out.eventsPerSecond).toBe('number');
    expect(lily(['runs', 'replay', FAILED_RUN, '--verify', '--json']).json()).toMatchObject({
      status: 'failed',
      recordedStatus: 'failed',
    });
  });

  it('replay --verify: exit 1 with replay_nondeterministic on a tampered log, replay_plan_drift on a drifted one', () => {
    const tampered = lily(['runs', 'replay', TAMPERED_RUN, '--verify', '--json']);
    expect(tampered.code).toBe(1);
    expect(tampered.json()).toMatchObject({
      error: {
        code: 'replay_nondeterministic',
        data: { type: 'policy.decided', actual: { type: 'step.dispatched', data: { executor: 'tampered' } } },
      },
    });
    const panel = lily(['runs', 'replay', TAMPERED_RUN, '--verify']);
    expect(panel.code).toBe(1);
    expect(panel.stderr).toContain('replay_nondeterministic');
    expect(panel.stderr).not.toMatch(STACK);
    const drift = lily(['runs', 'replay', DRIFTED_RUN, '--json']);
    expect(drift.code).toBe(1);
    expect(drift.json()).toMatchObject({
      error: { code: 'replay_plan_drift', data: { pinned: '0'.repeat(64) } },
    });
  });

  it('an unknown run id is run_not_found (exit 2) for every runs command', () => {
    for (const cmd of ['show', 'events', 'receipt', 'replay']) {
      const run = lily(['runs', cmd, UNKNOWN_RUN, '--json']);
      expect(run.code).toBe(2);
      expect(run.json()).toMatchObject({ error: { code: 'run_not_found', data: { runId: UNKNOWN_RUN } } });
    }
    const garbage = lily(['runs', 'show', 'not-a-run']);
    expect(garbage.code).toBe(2);
    expect(garbage.stderr).toContain('run_not_found');
    expect(garbage.stderr).not.toMatch(STACK);
  });

  it('outside a project: project_not_initialized (exit 2)', () => {
    const outside = mkdtempSync(join(tmpdir(), 'lily-e2e-empty-'));
    try {
      for (const args of [['runs', 'list'], ['artifacts', 'list'], ['run', 'new'], ['gc']]) {
        const run = lily([...args, '--json'], { cwd: outside });
        expect(run.code).toBe(2);
        expect(run.json()).toMatchObject({ error: { code: 'project_not_initialized' } });
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('lily artifacts', () => {
  it('list (all, or of one run), get by sha / prefix / name, to stdout or a file', () => {
    const list = lily(['artifacts', 'list', '--run', OK_RUN, '--json']);
    expect(list.code).toBe(0);
    const refs = list.json().artifacts as { sha256: string; name: string }[];
    expect(refs.map((a) => a.name).sort()).toEqual(['done.txt', 'greet.txt', 'versions.txt']);
    expect((lily(['artifacts', 'list', '--json']).json().artifacts as unknown[]).length).toBeGreaterThan(3);
    const greet = refs.find((a) => a.name === 'greet.txt') as { sha256: string };
    const bytes = lily(['artifacts', 'get', greet.sha256]);
    expect(bytes.code).toBe(0);
    expect(bytes.stdout).toBe(`output of greet in ${OK_RUN}\n`);
    expect(lily(['artifacts', 'get', greet.sha256.slice(0, 10)]).raw.equals(bytes.raw)).toBe(true);
    const out = join(dir, 'greet-copy.txt');
    const toFile = lily(['artifacts', 'get', greet.sha256, '--output', out, '--json']);
    expect(toFile.json()).toMatchObject({ output: out, bytes: bytes.raw.length });
    expect(readFileSync(out).equals(bytes.raw)).toBe(true);
    // A name picks the newest record with that name (the drifted run's).
    expect(lily(['artifacts', 'get', 'greet.txt']).stdout).toBe(`output of greet in ${DRIFTED_RUN}\n`);
  });

  it('lineage: a Mermaid flowchart of the DAG; --json the DAG', () => {
    const refs = lily(['artifacts', 'list', '--run', OK_RUN, '--json']).json().artifacts as {
      sha256: string;
      name: string;
    }[];
    const sha = (name: string) => (refs.find((a) => a.name === name) as { sha256: string }).sha256;
    const json = lily(['artifacts', 'lineage', sha('done.txt'), '--json']).json() as {
      root: string;
      nodes: unknown[];
      edges: [string, string][];
    };
    expect(json.root).toBe(sha('done.txt'));
    expect(json.nodes).toHaveLength(3);
    expect(json.edges).toEqual(
      [
        [sha('done.txt'), sha('greet.txt')],
        [sha('done.txt'), sha('versions.txt')],
      ].sort(),
    );
    const mermaid = lily(['artifacts', 'lineage', sha('done.txt')]).stdout;
    expect(mermaid).toMatch(/^flowchart LR/);
    expect(mermaid).toContain(`a${sha('greet.txt').slice(0, 12)} --> a${sha('done.txt').slice(0, 12)}`);
  });

  it('an unknown artifact is artifact_not_found (exit 2)', () => {
    for (const args of [
      ['get', 'f'.repeat(64)],
      ['get', 'no-such-name'],
      ['lineage', 'no-such-name'],
    ]) {
      const run = lily(['artifacts', ...args, '--json']);
      expect(run.code).toBe(2);
      expect(run.json()).toMatchObject({ error: { code: 'artifact_not_found' } });
    }
  });
});

describe('lily run new', () => {
  it('creates a run id and a manifest with the work order attached', () => {
    const order = join(dir, 'order.md');
    writeFileSync(order, '# Work order\nDo the thing.\n');
    const made = lily(['run', 'new', '--work-order', order, '--json']);
    expect(made.code).toBe(0);
    const { runId, manifest, workOrder } = made.json() as {
      runId: string;
      manifest: { sha256: string; inputs: string[] };
      workOrder: { sha256: string; name: string };
    };
    expect(runId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(workOrder.name).toBe('order.md');
    expect(manifest.inputs).toEqual([workOrder.sha256]);
    const body = JSON.parse(lily(['artifacts', 'get', manifest.sha256]).stdout) as Record<string, unknown>;
    expect(body).toMatchObject({
      runId,
      kernelVersion: expect.any(String),
      workOrder: { sha256: workOrder.sha256 },
    });
    expect(lily(['artifacts', 'get', workOrder.sha256]).stdout).toBe('# Work order\nDo the thing.\n');
    const listed = lily(['artifacts', 'list', '--run', runId, '--json']).json().artifacts as {
      name: string;
    }[];
    expect(listed.map((a) => a.name).sort()).toEqual(['manifest.json', 'order.md']);
    const bare = lily(['run', 'new', '--json']).json();
    expect(bare).toMatchObject({ workOrder: null });
    expect(bare.runId).not.toBe(runId);
    const missing = lily(['run', 'new', '--work-order', join(dir, 'nope.md'), '--json']);
    expect(missing.code).toBe(2);
    expect(missing.json()).toMatchObject({
      error: { code: 'usage_invalid', data: { option: '--work-order' } },
    });
  });
});

describe('lily blueprints graph', () => {
  it("draws a job's run machine as Mermaid or DOT; without bindings it says to pass --job", () => {
    const machine = lily(['blueprints', 'graph', 'pipeline.v1', '--job', 'hello']);
    expect(machine.code).toBe(0);
    expect(machine.stdout).toMatch(/^stateDiagram-v2/);
    expect(machine.stdout).toContain('state "greet" as greet');
    const plan = lily(['blueprints', 'graph', 'pipeline.v1', '--job', 'hello', '--view', 'plan']);
    expect(plan.stdout).toContain('greet --> done');
    const dot = lily(['blueprints', 'graph', 'pipeline.v1', '--job', 'hello', '--format', 'dot', '--json']);
    expect(dot.json()).toMatchObject({ format: 'dot', graph: expect.stringMatching(/^digraph run \{/) });
    const noBindings = lily(['blueprints', 'graph', 'pipeline.v1', '--json']);
    expect(noBindings.code).toBe(2);
    expect(noBindings.json()).toMatchObject({ error: { code: 'blueprint_bindings_invalid' } });
    expect(lily(['blueprints', 'graph', 'council.v1', '--job', 'hello', '--json']).code).toBe(2);
  });
});

describe('lily doctor', () => {
  it('passes in a healthy project, with a line per check', () => {
    const run = lily(['doctor', '--json']);
    expect(run.code).toBe(0);
    const { ok, checks } = run.json() as { ok: boolean; checks: { id: string; status: string }[] };
    expect(ok).toBe(true);
    expect(checks.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'node',
        'nats-server',
        'project',
        'config',
        'policy',
        'jobs',
        'lmdb',
        'engine keys',
      ]),
    );
    expect(lily(['doctor']).stdout).toContain('all checks passed');
  });

  it('nats-server missing (LILY_NATS_SERVER=/nonexistent): exit 1 and how to install it', () => {
    const run = lily(['doctor', '--json'], { env: { LILY_NATS_SERVER: '/nonexistent' } });
    expect(run.code).toBe(1);
    const nats = (run.json().checks as { id: string; status: string; fix: string }[]).find(
      (c) => c.id === 'nats-server',
    );
    expect(nats).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('apt-get install nats-server'),
    });
    const human = lily(['doctor'], { env: { LILY_NATS_SERVER: '/nonexistent' } });
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('github.com/nats-io/nats-server/releases');
  });

  it('a deployment whose process is gone fails; a bad policy.yaml fails; no project fails', () => {
    writeFileSync(
      join(dir, '.lily/deployment.json'),
      JSON.stringify({
        version: 1,
        namespace: 'default',
        nats: { managed: false, url: 'nats://127.0.0.1:4222' },
        processes: [
          {
            role: 'engine',
            id: 'engine',
            pid: 999_999_999,
            startedAt: 0,
            log: 'x.log',
            cmdlineMarker: 'lily-engine',
          },
        ],
      }),
    );
    const policy = readFileSync(join(dir, '.lily/policy.yaml'), 'utf8');
    writeFileSync(join(dir, '.lily/policy.yaml'), `${policy}\nbogus_key: 1\n`);
    try {
      const run = lily(['doctor', '--json']);
      expect(run.code).toBe(1);
      const checks = run.json().checks as { id: string; status: string }[];
      expect(checks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 'process engine', status: 'fail' }),
          expect.objectContaining({ id: 'policy', status: 'fail' }),
        ]),
      );
    } finally {
      rmSync(join(dir, '.lily/deployment.json'));
      writeFileSync(join(dir, '.lily/policy.yaml'), policy);
    }
    const outside = mkdtempSync(join(tmpdir(), 'lily-e2e-empty-'));
    try {
      const run = lily(['doctor', '--json'], { cwd: outside });
      expect(run.code).toBe(1);
      expect(run.json().checks).toEqual(
        expect.arrayContaining([expect.objectContaining({ id: 'project', status: 'fail' })]),
      );
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe('lily gc', () => {
  it('--dry-run plans, gc deletes projections and blobs of expired runs; events stay', () => {
    const job = join(dir, '.lily/jobs/hello.job.yaml');
    writeFileSync(job, readFileSync(job, 'utf8').replace('keep_last: 20', 'keep_last: 1'));
    lily(['runs', 'receipt', OK_RUN, '--rebuild']);
    const dry = lily(['gc', '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const plan = dry.json().plan as { expired: { runId: string }[]; projectionDirs: string[]; bytes: number };
    expect(plan.expired.map((r) => r.runId).sort()).toEqual([OK_RUN, FAILED_RUN, TAMPERED_RUN].sort());
    expect(plan.projectionDirs).toHaveLength(1);
    expect(plan.bytes).toBeGreaterThan(0);
    expect(existsSync(plan.projectionDirs[0] as string)).toBe(true);
    expect(lily(['gc', '--dry-run']).stdout).toContain('nothing was deleted');

    const done = lily(['gc', '--json']);
    expect(done.code).toBe(0);
    const report = done.json() as { deletedDirs: string[]; deletedBlobs: string[]; bytesFreed: number };
    expect(report.deletedDirs).toEqual(plan.projectionDirs);
    expect(report.bytesFreed).toBe(plan.bytes);
    expect(existsSync(plan.projectionDirs[0] as string)).toBe(false);
    expect(
      (lily(['artifacts', 'list', '--run', OK_RUN, '--json']).json().artifacts as unknown[]).length,
    ).toBe(0);
    // The log is the truth: the expired run still replays and verifies.
    expect(lily(['runs', 'replay', OK_RUN, '--verify']).code).toBe(0);
    expect((lily(['gc', '--dry-run', '--json']).json().plan as { bytes: number }).bytes).toBe(0);
  });
});
