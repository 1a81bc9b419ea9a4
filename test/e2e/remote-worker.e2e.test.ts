/**
 * A worker elsewhere, as a user sets it up: an engine on the project's managed nats-server
 * serving no executor itself, `lily creds issue worker --out w.creds`, `lily worker --nats URL
 * --creds w.creds`, and `lily jobs run` with an operator credential: every step of the run is
 * done by that worker. Without a credential, or with the worker's, nothing can be submitted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ManagedNats,
  startManagedNats,
  stopManagedNats,
} from '../../src/deployment/nats-server/index.js';
import { type Background, lily, lilyBackground, ROOT, requireBuild } from './cli-live-process.js';

let dir: string;
let nats: ManagedNats;
let engine: ChildProcess | undefined;
let worker: Background | undefined;
const at = (args: string[], env?: Record<string, string>) =>
  lily([...args, '--dir', dir], { env: env ?? {} });

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'lily-e2e-remote-'));
  expect(at(['init']).code).toBe(0);
  // A worker with --creds is a worker of its own: the ledger and artifacts live on NATS.
  appendFileSync(join(dir, '.lily', 'config.yaml'), 'ledger: nats\n');
  nats = await startManagedNats(join(dir, '.lily'));
  // An engine daemon with no executors of its own (no --with-worker): only a worker can run steps.
  engine = spawn(process.execPath, [join(ROOT, 'dist/deployment/daemon-main.js'), 'engine', '--dir', dir], {
    stdio: 'ignore',
  });
  const log = join(dir, '.lily', 'logs', 'engine.log');
  while (!(existsSync(log) && readFileSync(log, 'utf8').includes('"engine.started"'))) {
    if (engine.exitCode !== null) throw new Error(`the engine exited:\n${readFileSync(log, 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  if (engine && engine.exitCode === null) {
    const exited = new Promise((r) => engine?.once('exit', r));
    engine.kill('SIGTERM');
    await exited;
  }
  if (dir) await stopManagedNats(join(dir, '.lily'), { graceMs: 2_000 });
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('a worker with its own credential', () => {
  it('creds issue writes a 0600 .creds file for the role; refuses an unknown role and an existing file', () => {
    const out = join(dir, 'w.creds');
    const r = at([
      'creds',
      'issue',
      'worker',
      '--out',
      out,
      '--name',
      'remote-w',
      '--expires',
      '1h',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const issued = r.json();
    expect(issued).toMatchObject({
      file: out,
      role: 'worker',
      namespace: 'default',
      name: 'remote-w',
      url: nats.url,
    });
    expect(issued.executors).toEqual(expect.arrayContaining(['command', 'echo']));
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(at(['creds', 'issue', 'worker', '--out', out]).code).toBe(2);
    const wizard = at(['creds', 'issue', 'wizard', '--out', join(dir, 'x.creds'), '--json']);
    expect(wizard.code).toBe(2);
    expect(wizard.stderr + wizard.stdout).toContain('usage_invalid');
    expect(at(['creds', 'issue', 'operator', '--out', join(dir, 'op.creds')]).code).toBe(0);
  });

  it('lily worker --creds serves the run an operator submits; every step is done by that worker', async () => {
    worker = lilyBackground([
      'worker',
      '--nats',
      nats.url,
      '--creds',
      join(dir, 'w.creds'),
      '--id',
      'remote',
      '--dir',
      dir,
    ]);
    await worker.waitFor(/worker-remote serving .*command/, 'stderr');
    const run = at(['jobs', 'run', 'hello', '--nats', nats.url, '--follow', '--json'], {
      LILY_NATS_CREDS: join(dir, 'op.creds'),
    });
    expect(run.code, run.stderr).toBe(0);
    const runId = (run.json() as { runId?: string; status?: string }).runId;
    expect(run.json().status).toBe('succeeded');
    const events = at(['runs', 'events', runId as string, '--json'])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: { worker?: string } });
    const started = events.filter((e) => e.type === 'step.started');
    expect(started).toHaveLength(3);
    for (const e of started) expect(e.data.worker).toBe('remote');
    expect(events.at(-1)?.type).toBe('run.completed');
  });

  it('the server refuses a submission without a credential, and with the worker credential', () => {
    const none = at(['jobs', 'run', 'hello', '--nats', nats.url, '--json']);
    expect(none.code).toBe(1);
    expect(none.stderr + none.stdout).toContain('bus_unavailable');
    const asWorker = at(['jobs', 'run', 'hello', '--nats', nats.url, '--json'], {
      LILY_NATS_CREDS: join(dir, 'w.creds'),
    });
    expect(asWorker.code).toBe(1);
    expect(asWorker.stderr + asWorker.stdout).toContain('bus_permission_denied');
  });

  it('the worker stops on SIGINT, draining, with exit 0', async () => {
    expect(await worker?.stop()).toBe(0);
    worker = undefined;
  });

  it('a credential limited with --executor makes the worker serve only those', async () => {
    const out = join(dir, 'cmd.creds');
    const r = at(['creds', 'issue', 'worker', '--out', out, '--executor', 'command', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().executors).toEqual(['command']);
    expect(at(['creds', 'issue', 'worker', '--out', join(dir, 'x.creds'), '--executor', 'nope']).code).toBe(
      2,
    );
    const narrow = lilyBackground([
      'worker',
      '--nats',
      nats.url,
      '--creds',
      out,
      '--id',
      'narrow',
      '--dir',
      dir,
    ]);
    try {
      await narrow.waitFor(/worker-narrow serving command in namespace default/, 'stderr');
      expect(narrow.stderr()).toContain('"event":"worker.executors_skipped"');
      expect(narrow.stderr()).not.toContain('bus.permission_denied');
    } finally {
      expect(await narrow.stop()).toBe(0);
    }
  });
});
