import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactStore } from '../contracts/artifact-store.js';
import { isJobId } from '../contracts/ids.js';
import type { EventStore } from './event-store.js';
import { projectReceipt } from './projections/receipt.js';
import type { RunStatus } from './projections/receipt-types.js';

const DAY_MS = 86_400_000;

/** Per job: keep the last `keepLast` completed runs and/or those requested within `keepDays`. */
export interface RetentionPolicy {
  keepLast?: number;
  keepDays?: number;
}

export interface RetentionRun {
  runId: string;
  jobId: string | null;
  stream: string;
  requestedAt: number | null;
  status: RunStatus;
  /** sha256 of every artifact the run's events refer to. */
  artifacts: string[];
  /** Why it is kept (or `expired`). */
  reason: 'in_flight' | 'no_policy' | 'keep_last' | 'keep_days' | 'unknown_job' | 'expired';
}

export interface RetentionPlan {
  now: number;
  kept: RetentionRun[];
  expired: RetentionRun[];
  /** Projection directories of expired runs (absolute). */
  projectionDirs: string[];
  /** Blobs only expired runs refer to and no kept artifact descends from. */
  blobs: { sha256: string; size: number }[];
  bytes: number;
}

export interface RetentionReport {
  dryRun: boolean;
  plan: RetentionPlan;
  deletedDirs: string[];
  deletedBlobs: string[];
  bytesFreed: number;
  errors: { target: string; message: string }[];
}

export interface PlanRetentionInput {
  events: EventStore;
  artifacts: ArtifactStore;
  /** `.lily/runs` */
  runsDir: string;
  policyFor: (jobId: string) => RetentionPolicy | undefined;
  /** Epoch ms the `keepDays` rule measures from (the caller's clock). */
  now: number;
}

const loadRuns = async (events: EventStore): Promise<RetentionRun[]> => {
  const runs: RetentionRun[] = [];
  for (const stream of await events.listStreams('run/')) {
    const r = projectReceipt(await events.readStream(stream));
    const requestedAt = r.timestamps.requestedAt ?? r.timestamps.startedAt;
    const done = r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';
    const runId = r.runId ?? stream.slice('run/'.length);
    runs.push({
      runId,
      jobId: r.jobId,
      stream,
      requestedAt,
      status: r.status,
      artifacts: r.artifacts.map((a) => a.sha256),
      reason: done ? 'expired' : 'in_flight',
    });
  }
  return runs;
};

/** Decides, job by job: a completed run is kept if any rule of its job's policy keeps it. */
const decide = (runs: RetentionRun[], input: PlanRetentionInput): void => {
  const byJob = new Map<string, RetentionRun[]>();
  for (const run of runs) {
    if (run.reason === 'in_flight') continue;
    if (run.jobId === null || run.requestedAt === null) {
      run.reason = 'unknown_job';
      continue;
    }
    byJob.set(run.jobId, [...(byJob.get(run.jobId) ?? []), run]);
  }
  for (const [jobId, list] of byJob) {
    const policy = input.policyFor(jobId);
    const newestFirst = list.sort(
      (a, b) => (b.requestedAt ?? 0) - (a.requestedAt ?? 0) || (a.runId < b.runId ? 1 : -1),
    );
    newestFirst.forEach((run, i) => {
      if (!policy || (policy.keepLast === undefined && policy.keepDays === undefined))
        run.reason = 'no_policy';
      else if (policy.keepLast !== undefined && i < policy.keepLast) run.reason = 'keep_last';
      else if (
        policy.keepDays !== undefined &&
        input.now - (run.requestedAt ?? 0) <= policy.keepDays * DAY_MS
      )
        run.reason = 'keep_days';
    });
  }
};

const projectionDirsOf = async (runsDir: string, expired: RetentionRun[]): Promise<string[]> => {
  const dirs: string[] = [];
  for (const run of expired) {
    if (!run.jobId || !isJobId(run.jobId)) continue;
    const jobDir = join(runsDir, run.jobId);
    const entries = await readdir(jobDir).catch(() => [] as string[]);
    for (const name of entries.sort()) if (name.endsWith(`-${run.runId}`)) dirs.push(join(jobDir, name));
  }
  return dirs;
};

const collectableBlobs = async (artifacts: ArtifactStore, kept: RetentionRun[], expired: RetentionRun[]) => {
  const expiredIds = new Set(expired.map((r) => r.runId));
  const records = await artifacts.list();
  const protectedRoots = new Set([
    ...records.filter((r) => r.runId === undefined || !expiredIds.has(r.runId)).map((r) => r.sha256),
    ...kept.flatMap((r) => r.artifacts),
  ]);
  const protectedAll = new Set<string>();
  for (const sha of protectedRoots) {
    if (protectedAll.has(sha)) continue;
    for (const node of (await artifacts.lineage(sha)).nodes) protectedAll.add(node.sha256);
  }
  const sizes = new Map<string, number>();
  for (const r of records) if (!protectedAll.has(r.sha256)) sizes.set(r.sha256, r.size);
  return [...sizes]
    .map(([sha256, size]) => ({ sha256, size }))
    .sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1));
};

/**
 * Computes what retention would delete; deletes nothing. Events are never deleted (the log is the
 * truth): only projection directories of expired runs and blobs that nothing kept refers to,
 * directly or as a lineage ancestor. Runs without `run.completed` are always kept.
 */
export const planRetention = async (input: PlanRetentionInput): Promise<RetentionPlan> => {
  const runs = await loadRuns(input.events);
  decide(runs, input);
  const kept = runs.filter((r) => r.reason !== 'expired');
  const expired = runs.filter((r) => r.reason === 'expired');
  const blobs = await collectableBlobs(input.artifacts, kept, expired);
  return {
    now: input.now,
    kept,
    expired,
    projectionDirs: await projectionDirsOf(input.runsDir, expired),
    blobs,
    bytes: blobs.reduce((n, b) => n + b.size, 0),
  };
};

/**
 * Carries out a plan (what `lily gc` runs; `lily gc --dry-run` prints the plan with
 * `dryRun: true`). Failures are collected per target, not thrown, so one stuck file does not stop
 * the rest.
 */
export const applyRetention = async (
  plan: RetentionPlan,
  deps: { artifacts: ArtifactStore; dryRun?: boolean },
): Promise<RetentionReport> => {
  const report: RetentionReport = {
    dryRun: deps.dryRun ?? false,
    plan,
    deletedDirs: [],
    deletedBlobs: [],
    bytesFreed: 0,
    errors: [],
  };
  if (report.dryRun) return report;
  for (const dir of plan.projectionDirs) {
    await rm(dir, { recursive: true, force: true }).then(
      () => report.deletedDirs.push(dir),
      (e: Error) => report.errors.push({ target: dir, message: e.message }),
    );
  }
  for (const blob of plan.blobs) {
    await deps.artifacts.remove(blob.sha256).then(
      (removed) => {
        if (!removed) return;
        report.deletedBlobs.push(blob.sha256);
        report.bytesFreed += blob.size;
      },
      (e: Error) => report.errors.push({ target: blob.sha256, message: e.message }),
    );
  }
  return report;
};
