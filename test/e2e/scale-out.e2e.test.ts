/**
 * Two machines, as a user sets them up (docs/scale-out.md), with the built CLI: network
 * namespaces stand for the machines. On the engine's:
 *   lily up --listen <its address> --workers 0 --no-engine-executors
 *   lily creds issue worker --out w.creds
 * the file is copied to the other machine (as with scp), where
 *   lily worker --nats nats://<engine's address>:<port> --creds w.creds --dir <its own dir>
 * runs; then `lily jobs run` on the engine's side: the step's effect lands in the worker's
 * directory, its artifact is read with `lily artifacts get` on the engine's side, and `lily
 * status` lists the worker with where it runs. Skipped where namespaces cannot be made.
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, type Netns, netnsUnavailable } from '../helpers/netns.js';
import { type Background, type LilyResult, lily, lilyBackground, requireBuild } from './cli-live-process.js';

const unavailable = netnsUnavailable();
const PORT = 14222;
const EFFECT = `require('fs').appendFileSync('effects.log', process.env.LILY_RUN_ID + String.fromCharCode(10)); console.log('made elsewhere by ' + process.env.LILY_RUN_ID)`;

let net: Netns | undefined;
let project = '';
let workerDir = '';
let worker: Background | undefined;

/** `lily <args> --dir <project>` on the engine's machine. */
const engineSide = (args: string[], timeoutMs = 60_000): LilyResult =>
  lily([...args, '--dir', project], { wrap: net?.hosts[0]?.wrap, timeoutMs });

beforeAll(() => {
  if (unavailable) return;
  requireBuild();
}, 10_000);

afterAll(async () => {
  await worker?.stop();
  if (project && net) engineSide(['down', '--grace-ms', '5000']);
  await net?.cleanup();
  for (const dir of [project, workerDir]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(unavailable !== undefined)(
  `the two-machine recipe through the CLI${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    it('up --listen with no executors of its own; a worker elsewhere runs the step; artifacts and status on the engine side', async () => {
      net = await createNetns(2);
      const [engineHost, workerHost] = net.hosts as [Netns['hosts'][0], Netns['hosts'][0]];
      project = mkdtempSync(join(tmpdir(), 'lily-e2e-engine-'));
      workerDir = mkdtempSync(join(tmpdir(), 'lily-e2e-worker-'));
      expect(engineSide(['init']).code).toBe(0);
      writeFileSync(
        join(project, '.lily', 'jobs', 'elsewhere.job.yaml'),
        `id: elsewhere
title: a step that runs on the other machine
target: { kind: blueprint, id: pipeline.v1 }
runtime: { timeout_ms: 60000 }
bindings:
  steps:
    - { id: s, run: [node, -e, "${EFFECT}"] }
`,
      );

      const listen = `${engineHost.ip}:${PORT}`;
      const up = engineSide(
        ['up', '--listen', listen, '--workers', '0', '--no-engine-executors', '--json'],
        90_000,
      );
      expect(up.code, up.stderr + up.stdout).toBe(0);
      const state = up.json() as {
        ledger: string;
        nats: { url: string; listen: string };
        processes: { role: string }[];
      };
      expect(state.ledger).toBe('nats');
      expect(state.nats.listen).toBe(listen);
      expect(state.processes.map((p) => p.role)).toEqual(['engine']);

      const issued = engineSide(['creds', 'issue', 'worker', '--out', join(project, 'w.creds'), '--json']);
      expect(issued.code, issued.stderr).toBe(0);
      // "scp w.creds worker-host:" — the worker's machine gets a copy, nothing else of the project.
      copyFileSync(join(project, 'w.creds'), join(workerDir, 'w.creds'));
      expect(statSync(join(workerDir, 'w.creds')).mode & 0o777).toBe(0o600);

      // Without a credential the engine's server refuses the other machine.
      const anonymous = lily(['worker', '--nats', `nats://${listen}`, '--dir', workerDir], {
        wrap: workerHost.wrap,
        timeoutMs: 30_000,
      });
      expect(anonymous.code).not.toBe(0);

      worker = lilyBackground(
        [
          'worker',
          '--nats',
          `nats://${listen}`,
          '--creds',
          join(workerDir, 'w.creds'),
          '--dir',
          workerDir,
          '--id',
          'far',
        ],
        {},
        workerHost.wrap,
      );
      await worker.waitFor(/worker-far serving .*command/, 'stderr', 60_000);

      const status = engineSide(['status', '--json']);
      expect(status.code, status.stderr).toBe(0);
      const s = status.json() as {
        remote: { id: string; host: string; pid: number; executors: string[] }[];
      };
      expect(s.remote).toEqual([
        expect.objectContaining({
          id: 'worker-far',
          host: hostname(),
          pid: worker.child.pid,
          executors: expect.arrayContaining(['command', 'echo']),
        }),
      ]);
      expect(engineSide(['status']).stdout).toMatch(/worker-far\s+│\s+\S+\s+│\s+\d+/);

      const run = engineSide(['jobs', 'run', 'elsewhere', '--follow', '--json'], 120_000);
      expect(run.code, run.stderr + run.stdout).toBe(0);
      const { runId, status: runStatus } = run.json() as { runId: string; status: string };
      expect(runStatus).toBe('succeeded');
      expect(readFileSync(join(workerDir, 'effects.log'), 'utf8')).toBe(`${runId}\n`);
      expect(existsSync(join(project, 'effects.log'))).toBe(false);

      const listed = engineSide(['artifacts', 'list', '--run', runId, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const refs = (listed.json() as unknown as { artifacts: { sha256: string; name: string }[] }).artifacts;
      const stdout = refs.find((r) => r.name === 's.1.stdout');
      expect(stdout).toBeDefined();
      const got = engineSide(['artifacts', 'get', stdout?.sha256 as string]);
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout).toBe(`made elsewhere by ${runId}\n`);

      const events = engineSide(['runs', 'events', runId, '--json'])
        .stdout.trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; data: { worker?: string; host?: string } });
      expect(events.find((e) => e.type === 'step.started')?.data).toMatchObject({
        worker: 'far',
        host: hostname(),
      });
    }, 300_000);
  },
);
