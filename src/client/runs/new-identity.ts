import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { LILY_VERSION } from '../../actors/runtime/version.js';
import type { ArtifactStore } from '../../contracts/artifact-store.js';
import type { Clock } from '../../contracts/clock.js';
import { LilyError } from '../../contracts/errors.js';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';
import { createUlidGenerator } from '../../eventstore/system-ports.js';

/** The run manifest (seed kernel layer 0): a run's identity, stored as a JSON artifact. */
export interface RunManifest {
  runId: string;
  createdAt: number;
  kernelVersion: string;
  workOrder?: ArtifactRef;
}

/** A new run identity: its id, its stored manifest and the work order stored with it. */
export interface RunIdentity {
  runId: string;
  manifest: ArtifactRef;
  workOrder: ArtifactRef | null;
}

/** Throws `usage_invalid` unless `file` is a readable regular file. */
export const checkWorkOrder = async (file: string): Promise<void> => {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    throw new LilyError('usage_invalid', `--work-order ${file} is not a readable file`, {
      reason: 'invalidArgument',
      option: '--work-order',
      file,
    });
  }
};

/**
 * A new run identity (a ULID from `clock`) and its manifest `{runId, createdAt, kernelVersion,
 * workOrder?}` stored as `manifest.json` (the work order file is stored first, and is the
 * manifest's lineage input). Appends no event: the run is an identity for work done outside a
 * job, its artifacts listed by `artifacts.list({ runId })`.
 */
export const newRunIdentity = async (
  artifacts: ArtifactStore,
  clock: Clock,
  producer: string,
  workOrderFile: string | undefined,
): Promise<RunIdentity> => {
  const runId = createUlidGenerator(clock).runId();
  const createdAt = clock.now();
  const workOrder =
    workOrderFile === undefined
      ? undefined
      : await artifacts.putFile(workOrderFile, { name: basename(workOrderFile), producer, runId, createdAt });
  const manifest: RunManifest = {
    runId,
    createdAt,
    kernelVersion: LILY_VERSION,
    ...(workOrder ? { workOrder } : {}),
  };
  const ref = await artifacts.putJson(manifest, {
    name: 'manifest.json',
    producer,
    runId,
    createdAt,
    inputs: workOrder ? [workOrder.sha256] : [],
  });
  return { runId, manifest: ref, workOrder: workOrder ?? null };
};
