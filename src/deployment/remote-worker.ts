/**
 * A worker anywhere (design.md §9): `lily worker --nats URL --creds FILE --dir DIR` needs only
 * NATS, its credential and a directory of its own. Nothing of the engine's project is read or
 * written: the dispatch ledger and the artifact hand-off are the namespace's JetStream buckets,
 * dispatch seals are verified with the engine's public key the credential carries
 * (docs/decisions/030), and steps run in DIR.
 *
 * DIR may be a plain directory or a checkout of the project (a git clone with its `.lily/`):
 * then its `.lily/config.yaml` names the packs the worker loads and its `.lily/policy.yaml` the
 * workspace and command rules the worker re-checks (storage under `.lily/` is never opened).
 * Otherwise the worker serves the built-in executors with `REMOTE_WORKSPACE_RULES` and
 * `REMOTE_COMMAND_POLICY` (docs/decisions/027).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorInfo } from '../actors/error-info.js';
import { CommandGuard, type CommandPolicy } from '../actors/executors/command-guard.js';
import type { Logger } from '../actors/logger.js';
import type { WorkspaceRules } from '../actors/policy/workspace.js';
import { executorFns } from '../actors/runtime/executor-fns.js';
import { SealVerifier } from '../actors/trust/dispatch-seal.js';
import { SEAL_PUBLIC_FILE, sealPublicKeyFromHex } from '../actors/trust/engine-keys.js';
import { Worker } from '../actors/worker/worker.js';
import { createBuiltinCatalog } from '../blueprints/builtins/index.js';
import type { Catalog } from '../blueprints/catalog.js';
import { LilyError } from '../contracts/errors.js';
import { openNatsArtifactStore } from '../eventstore/jetstream/nats-artifact-store.js';
import { systemClock } from '../eventstore/system-ports.js';
import { loadConfig } from '../project/config.js';
import { loadPacks } from '../project/packs.js';
import { isProject, projectPaths } from '../project/paths.js';
import { loadPolicy, policySchema } from '../project/policy.js';
import { connectTarget, type NatsTarget, readCredentialFile } from './connect.js';
import { bindWorkerSharedState } from './shared-state.js';
import { servableBy } from './worker-executors.js';
import { attemptPlace } from './worker-fingerprint.js';
import { answerWorkerPings, type RunningWorker } from './worker-process.js';

/**
 * The rules a worker re-checks in a directory without a `.lily/policy.yaml`: anything inside the
 * directory (never outside it: paths are resolved after symlinks), except VCS metadata, Lily's
 * own directory and `.env` files.
 */
export const REMOTE_WORKSPACE_RULES: WorkspaceRules = Object.freeze({
  allow: ['**'],
  deny: ['.git/**', '.lily/**', '**/.env'],
});

export interface RemoteWorkerOptions {
  /** The worker's own directory (created by nobody: it must exist). */
  dir: string;
  /** NATS url(s), comma-separated for a cluster. */
  nats: string;
  /** A worker `.creds` file from `lily creds issue worker`. */
  creds: string;
  id: string;
  concurrency?: number;
  log: Logger;
}

export interface RemoteWorker extends RunningWorker {
  namespace: string;
  url: string;
  /** The directory steps run in. */
  workspace: string;
}

/**
 * The engine's public seal key a checkout of the project may hold (`.lily/keys/dispatch-seal.pub`,
 * copied there for a credential made by nsc without the `lily-seal-key` tag); never created here.
 */
const checkoutSealKey = (dir: string): string | undefined => {
  const file = join(projectPaths(dir).keys, SEAL_PUBLIC_FILE);
  const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
};

const usage = (message: string, data: Record<string, unknown>) =>
  new LilyError('usage_invalid', message, { reason: 'creds', ...data });

/**
 * The command rules a worker re-checks in a directory without a `.lily/policy.yaml`: any program
 * the engine's gate allowed (it checked the allowlist by name), found on this machine's PATH,
 * with the default environment rules (a step cannot set PATH, LD_*, NODE_OPTIONS, ...).
 */
export const REMOTE_COMMAND_POLICY: CommandPolicy = (() => {
  const { commands, path, env } = policySchema.parse({ commands: ['*'] });
  return Object.freeze({ commands, ...(path ? { path } : {}), env });
})();

/** What DIR contributes: packs, workspace and command rules when it is a project checkout. */
const workspaceOf = async (
  dir: string,
): Promise<{ catalog: Catalog; rules: WorkspaceRules; commands: CommandPolicy }> => {
  const catalog = createBuiltinCatalog();
  const defaults = { catalog, rules: REMOTE_WORKSPACE_RULES, commands: REMOTE_COMMAND_POLICY };
  if (!isProject(dir)) return defaults;
  const paths = projectPaths(dir);
  await loadPacks(catalog, await loadConfig(paths.config), paths.dir);
  if (!existsSync(paths.policy)) return defaults;
  const policy = await loadPolicy(paths.policy);
  return { catalog, rules: policy.workspace, commands: policy };
};

/**
 * Starts a worker that needs only NATS, a worker credential and DIR (see the module doc).
 * Throws `usage_invalid` (DIR missing; a credential of another role, or without the namespace or
 * seal key `lily creds issue worker` puts in it), `config_invalid` (an unreadable or expired
 * credential, a bad pack or policy in DIR), `bus_unavailable`, `namespace_in_use`,
 * `jetstream_bucket_missing` (the engine keeps its ledger in LMDB: `ledger: nats` is not set).
 */
export const startRemoteWorker = async (o: RemoteWorkerOptions): Promise<RemoteWorker> => {
  const workspace = resolve(o.dir);
  if (!existsSync(workspace) || !statSync(workspace).isDirectory()) {
    throw new LilyError('usage_invalid', `--dir ${workspace} is not a directory`, {
      reason: '--dir',
      value: workspace,
    });
  }
  const { info } = readCredentialFile(o.creds);
  if (info.role !== undefined && info.role !== 'worker') {
    throw usage(`${o.creds} is a ${info.role} credential, not a worker's`, {
      value: o.creds,
      role: info.role,
    });
  }
  const sealKey = info.sealPublicKey ?? checkoutSealKey(workspace);
  if (info.ns === undefined || sealKey === undefined) {
    throw usage(
      `${o.creds} does not name its namespace and the engine's dispatch-seal key: issue it with \`lily creds issue worker\` on the engine's machine (or tag it lily-seal-key:<hex of .lily/keys/${SEAL_PUBLIC_FILE}>)`,
      { value: o.creds },
    );
  }
  const ns = info.ns;
  const seals = new SealVerifier(sealPublicKeyFromHex(sealKey));
  const { catalog, rules, commands } = await workspaceOf(workspace);
  const credential = { kind: 'file' as const, file: resolve(o.creds) };
  const { executors, partitioners } = servableBy(executorFns(catalog), credential, ns, o.log);
  const target: NatsTarget = {
    url: o.nats,
    credential,
    source: 'flag',
    // Held for the project the credential names, so the engine's processes welcome it.
    ...(info.projectId ? { seat: { ns, projectId: info.projectId, dir: workspace, role: 'worker' } } : {}),
  };
  const bus = await connectTarget(target, `lily-worker-${o.id}`, o.log);
  let shared: Awaited<ReturnType<typeof bindWorkerSharedState>>;
  try {
    shared = await bindWorkerSharedState({ bus, ns, workerId: o.id, clock: systemClock, log: o.log });
  } catch (e) {
    await bus.close();
    throw e;
  }
  const artifacts = openNatsArtifactStore({ buckets: shared.buckets, registry: catalog.schemas });
  const worker = new Worker({
    id: o.id,
    bus,
    ns,
    clock: systemClock,
    log: o.log,
    catalog,
    executors,
    partitioners,
    artifacts,
    seals,
    ledger: shared.ledger,
    workspace,
    workspaceRules: rules,
    commands: new CommandGuard({ policy: commands, workspace }),
    concurrency: o.concurrency ?? 16,
    place: attemptPlace(workspace),
  });
  worker.start();
  const pings = answerWorkerPings(bus, ns, worker, o.id);
  o.log.info(
    { event: 'worker.started', id: o.id, executors: worker.names(), workspace, ledger: 'nats' },
    'worker started',
  );
  return {
    worker,
    bus,
    namespace: ns,
    url: o.nats,
    workspace,
    async stop() {
      for (const p of pings) p.unsubscribe();
      await worker.stop();
      await artifacts.close().catch((e) => o.log.warn({ event: 'worker.close_failed', error: errorInfo(e) }));
      await bus.drain();
      o.log.info({ event: 'worker.stopped', id: o.id }, 'worker stopped');
    },
  };
};
