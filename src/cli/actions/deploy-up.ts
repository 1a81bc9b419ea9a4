import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bus } from '../../actors/bus/bus.js';
import { LilyError } from '../../contracts/errors.js';
import { daemonEnv, resolveNatsTarget } from '../../deployment/connect.js';
import {
  type DaemonRecord,
  type DeploymentState,
  daemonAlive,
  readDeploymentState,
  removeDeploymentState,
  spawnDaemon,
  startManagedNats,
  stopDaemon,
  stopManagedNats,
  writeDeploymentState,
} from '../../deployment/nats-server/index.js';
import type { CliContext, Outcome } from '../context.js';
import { renderFields, renderTable } from '../render/table.js';
import { actorOf, deploymentBus, pingActor, planDaemons } from './deployment.js';
import { type ProjectSettings, projectSettings } from './live-target.js';

const DEFAULT_TIMEOUT_MS = 30_000;

const intOption = (name: string, value: string | undefined, fallback: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new LilyError('usage_invalid', `${name} must be an integer from 0 to ${max}`, {
      reason: name,
      value,
    });
  }
  return n;
};

const logTail = async (file: string): Promise<string> =>
  (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(-8).join('\n');

/** The NATS of the new deployment: an explicit url (flag, env, config), else the managed server. */
const natsFor = async (ctx: CliContext, s: ProjectSettings): Promise<DeploymentState['nats']> => {
  const target = await resolveNatsTarget(s.paths, s.config, ctx.nats);
  if (target && target.source !== 'managed') return { managed: false, url: target.url };
  const m = await startManagedNats(s.paths.root);
  return { managed: true, pid: m.pid, url: m.url, port: m.port, startedAt: m.startedAt, binary: m.binary };
};

/** Polls sys.ping until every process answers; throws `deployment_start_failed` for the first that dies or stays silent. */
const awaitPings = async (bus: Bus | undefined, ns: string, records: DaemonRecord[], timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(records);
  while (waiting.size > 0) {
    for (const r of [...waiting]) {
      if (!daemonAlive(r)) throw startFailed(r, 'exited', await logTail(r.log));
      if (bus && (await pingActor(bus, ns, actorOf(r), 250))) waiting.delete(r);
    }
    if (waiting.size > 0 && Date.now() > deadline) {
      const r = [...waiting][0] as DaemonRecord;
      throw startFailed(r, `did not answer sys.ping within ${timeoutMs} ms`, await logTail(r.log));
    }
    if (waiting.size > 0) await new Promise((res) => setTimeout(res, 100));
  }
};

const startFailed = (r: DaemonRecord, what: string, tail: string) =>
  new LilyError('deployment_start_failed', `${r.id} (pid ${r.pid}) ${what}: see ${r.log}`, {
    process: r.id,
    pid: r.pid,
    log: r.log,
    logTail: tail,
  });

const render = (state: DeploymentState, already: boolean) => ({
  data: { alreadyUp: already, ...state },
  human: ({ colors: c }: { colors: CliContext['ui']['colors'] }) => {
    const rows = state.processes.map((p) => [c.bold(p.id), p.role, String(p.pid), p.log]);
    return [
      renderFields(c, [
        ['namespace', state.namespace],
        [
          'nats',
          `${state.nats.url}${state.nats.managed ? ` (managed, pid ${state.nats.pid})` : ' (external)'}`,
        ],
      ]),
      renderTable(c, ['PROCESS', 'ROLE', 'PID', 'LOG'], rows),
      already
        ? c.yellow('already up: nothing started (`lily down` first to change it)')
        : c.green(`up: 1 engine, ${state.processes.length - 1} worker(s), every one answering sys.ping`),
    ].join('\n');
  },
});

/**
 * `lily up [--workers n] [--timeout-ms t]`: the managed nats-server (unless `--nats`,
 * `LILY_NATS_URL` or the config's url name another), one engine and n worker daemons, recorded
 * in `.lily/deployment.json`; returns once each answers sys.ping. Already up: says so and
 * starts nothing. A stale or partial deployment (dead pids) is stopped and started afresh.
 * On failure everything this command started is stopped again.
 *
 * Throws `nats_server_missing`, `nats_server_start_failed`, `deployment_start_failed`.
 */
export const up = async (
  ctx: CliContext,
  options: { workers?: string; timeoutMs?: string },
): Promise<Outcome> => {
  const s = await projectSettings(ctx.dir);
  const workers = intOption('--workers', options.workers, s.config.workers, 64);
  const timeoutMs = intOption('--timeout-ms', options.timeoutMs, DEFAULT_TIMEOUT_MS, 600_000);
  const existing = await readDeploymentState(s.paths.root);
  if (existing && !('invalid' in existing)) {
    const alive = existing.processes.filter(daemonAlive);
    if (alive.length === existing.processes.length && alive.length > 0) return render(existing, true);
    await Promise.all(alive.map((p) => stopDaemon(p, { graceMs: 5_000 })));
  }
  const nats = await natsFor(ctx, s);
  const records: DaemonRecord[] = [];
  const state = (): DeploymentState => ({ version: 1, namespace: s.ns, nats, processes: records });
  let bus: Bus | undefined;
  try {
    for (const plan of planDaemons(s.paths.dir, workers, nats.managed ? undefined : nats.url)) {
      const log = join(s.paths.logs, `${plan.id}.log`);
      const common = { role: plan.role, id: plan.id, log, cmdlineMarker: plan.marker, cwd: s.paths.dir };
      records.push(
        await spawnDaemon({ ...common, command: process.execPath, args: plan.args, env: daemonEnv() }),
      );
      await writeDeploymentState(s.paths.root, state());
    }
    bus = await deploymentBus(s.paths.root, state());
    await awaitPings(bus, s.ns, records, timeoutMs);
    return render(state(), false);
  } catch (e) {
    await Promise.all(records.map((r) => stopDaemon(r, { graceMs: 5_000 })));
    if (nats.managed) await stopManagedNats(s.paths.root, { graceMs: 5_000 });
    await removeDeploymentState(s.paths.root);
    throw e;
  } finally {
    await bus?.close();
  }
};
