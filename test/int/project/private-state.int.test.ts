import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../src/actors/logger.js';
import { runRequestReplySchema } from '../../../src/actors/messages.js';
import { schedSubject } from '../../../src/actors/subjects.js';
import { startEphemeralEngine } from '../../../src/client/connection/ephemeral-engine.js';
import { privateStateCheck } from '../../../src/client/project/doctor-checks.js';
import { type RunId, runStream } from '../../../src/contracts/index.js';
import { startEngineProcess } from '../../../src/deployment/engine-process.js';
import { writeDeploymentState } from '../../../src/deployment/nats-server/daemon.js';
import { systemClock } from '../../../src/eventstore/system-ports.js';
import { initProject } from '../../../src/project/init.js';
import { projectPaths } from '../../../src/project/paths.js';
import { tightenPrivateState } from '../../../src/project/private-state.js';
import { tempProject } from '../../helpers/lily-project.js';
import { startNatsServer } from '../../helpers/nats-server.js';

/** Everything under `.lily/` as [relative path, mode], not following symlinks. */
const modes = (root: string): [string, string][] => {
  const out: [string, string][] = [];
  const walk = (path: string) => {
    const info = lstatSync(path);
    if (info.isSymbolicLink()) return;
    const rel = relative(root, path) || '.';
    out.push([`${rel}${info.isDirectory() ? '/' : ''}`, `0${(info.mode & 0o777).toString(8)}`]);
    if (info.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
  };
  walk(root);
  return out;
};

const waitFor = async <T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> => {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    // A probe may look before the thing exists (ENOENT): that is "not yet".
    const v = await probe().catch((e: NodeJS.ErrnoException) => {
      if (e?.code === 'ENOENT') return undefined;
      throw e;
    });
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

let umask: number;
beforeAll(() => {
  // The worst case: nothing is masked, so every mode Lily does not set explicitly shows.
  umask = process.umask(0);
});
afterAll(() => {
  process.umask(umask);
});

describe('.lily/ is private whatever the umask (umask 000)', () => {
  it('init, a run through the managed nats-server (db, artifacts, receipts, logs, keys, nats) and deployment.json: directories 0700, files 0600', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'lily-private-'));
    try {
      const dir = join(tmp, 'project');
      await initProject(dir);
      const paths = projectPaths(dir);
      expect(modes(paths.root).filter(([, m]) => m !== '0700' && m !== '0600')).toEqual([]);
      // The project directory itself is the user's: init creates it with the umask's mode.
      expect(statSync(dir).mode & 0o777).toBe(0o777);

      const ephemeral = await startEphemeralEngine(paths, systemClock);
      if (!ephemeral) throw new Error('no ephemeral engine started');
      let running: [string, string][] = [];
      try {
        const reply = await ephemeral.bus.requestTyped(
          schedSubject('default'),
          { type: 'run.request', jobId: 'hello' },
          runRequestReplySchema,
          { timeoutMs: 10_000 },
        );
        if (!reply.ok) throw new Error(reply.error.message);
        const runId = reply.runId as RunId;
        await waitFor('the run', async () => {
          const events = await ephemeral.engine.storage.events.readStream(runStream(runId));
          return events.some((e) => e.type === 'run.completed') ? true : undefined;
        });
        await waitFor('receipts', async () =>
          readdirSync(join(paths.runs, 'hello')).some((d) => d.endsWith(runId)) ? true : undefined,
        );
        await writeDeploymentState(paths.root, {
          version: 1,
          namespace: 'default',
          nats: { managed: false, url: 'nats://127.0.0.1:4222' },
          processes: [],
        });
        running = modes(paths.root);
      } finally {
        await ephemeral.stop();
      }
      // While it ran (the managed nats-server's state exists only then), and after it stopped.
      const all = [...running, ...modes(paths.root)];
      const names = all.map(([p]) => p);
      // Every kind of state Lily keeps was written, so the check below covers it.
      for (const expected of [
        'db/data.mdb',
        'db/lock.mdb',
        'keys/dispatch-seal.key',
        'keys/dispatch-seal.pub',
        'keys/reply.key',
        'keys/project.json',
        'keys/nats/',
        'nats/nats.conf',
        'nats/data/',
        'nats/data/jetstream/',
        'nats/nats-server.pid',
        'logs/cli-run.log',
        'logs/nats-server.log',
        'deployment.json',
        'runs/.projector-checkpoint',
        'config.yaml',
        'policy.yaml',
        'jobs/hello.job.yaml',
      ]) {
        expect(names).toContain(expected);
      }
      expect(names.some((p) => /^artifacts\/sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(p))).toBe(true);
      expect(names.some((p) => /^runs\/hello\/[^/]+\/run_receipt\.json$/.test(p))).toBe(true);
      expect(all.filter(([p, m]) => (p.endsWith('/') ? m !== '0700' : m !== '0600'))).toEqual([]);
      expect((await privateStateCheck(paths)).status).toBe('ok');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 90_000);

  it('an existing project opened with looser modes is reported by doctor and made private by the engine', async () => {
    const project = await tempProject('lily-loose-');
    const nats = await startNatsServer();
    try {
      const paths = projectPaths(project.dir);
      chmodSync(paths.root, 0o755);
      chmodSync(paths.policy, 0o644);
      chmodSync(paths.jobs, 0o777);
      writeFileSync(join(paths.root, 'notes.txt'), 'left by hand', { mode: 0o666 });
      const doctor = await privateStateCheck(paths);
      expect(doctor).toMatchObject({ id: 'private state', status: 'fail' });
      expect(doctor.detail).toContain('. (0755)');
      expect(doctor.detail).toContain('policy.yaml (0644)');
      expect(doctor.fix).toContain('chmod -R go-rwx');

      const log = memoryLogger();
      const engine = await startEngineProcess({ dir: project.dir, log, nats: nats.url, cron: false });
      await engine.stop();
      const warned = log.entries.find((e) => e.event === 'private_state.tightened');
      expect(warned).toMatchObject({ level: 'warn' });
      expect(warned?.entries).toEqual([
        { path: '.', mode: 0o755, kind: 'dir' },
        { path: 'jobs', mode: 0o777, kind: 'dir' },
        { path: 'notes.txt', mode: 0o666, kind: 'file' },
        { path: 'policy.yaml', mode: 0o644, kind: 'file' },
      ]);
      expect(modes(paths.root).filter(([p, m]) => (p.endsWith('/') ? m !== '0700' : m !== '0600'))).toEqual(
        [],
      );
      // Once private, nothing more to do.
      expect(await tightenPrivateState(paths.root)).toEqual([]);
    } finally {
      await nats.stop();
      project.remove();
    }
  }, 60_000);
});
