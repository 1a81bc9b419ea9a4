import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { LILY_VERSION } from '../../actors/runtime/version.js';
import { LilyError } from '../../contracts/errors.js';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';
import { createUlidGenerator, systemClock } from '../../eventstore/system-ports.js';
import type { CliContext, Outcome } from '../context.js';
import { renderFields } from '../render/table.js';
import { withStorage } from './run-store.js';

/** The run manifest (seed kernel layer 0): a run's identity, stored as a JSON artifact. */
export interface RunManifest {
  runId: string;
  createdAt: number;
  kernelVersion: string;
  workOrder?: ArtifactRef;
}

const checkFile = async (file: string): Promise<void> => {
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
 * `lily run new [--work-order <file>]`: a new run identity (ULID) and its manifest
 * `{runId, createdAt, kernelVersion, workOrder?}` stored as `manifest.json` (the work order file
 * is stored first, and is the manifest's lineage input). Appends no event: the run is an
 * identity for work done outside a job, its artifacts listed by `lily artifacts list --run`.
 * JSON `{runId, manifest: ArtifactRef, workOrder: ArtifactRef | null}`.
 */
export const newRun = async (ctx: CliContext, options: { workOrder?: string }): Promise<Outcome> => {
  const file = options.workOrder === undefined ? undefined : resolve(ctx.dir, options.workOrder);
  if (file !== undefined) await checkFile(file);
  const result = await withStorage(ctx.dir, async ({ artifacts }) => {
    const runId = createUlidGenerator(systemClock).runId();
    const createdAt = systemClock.now();
    const workOrder =
      file === undefined
        ? undefined
        : await artifacts.putFile(file, { name: basename(file), producer: 'cli/run-new', runId, createdAt });
    const manifest: RunManifest = {
      runId,
      createdAt,
      kernelVersion: LILY_VERSION,
      ...(workOrder ? { workOrder } : {}),
    };
    const ref = await artifacts.putJson(manifest, {
      name: 'manifest.json',
      producer: 'cli/run-new',
      runId,
      createdAt,
      inputs: workOrder ? [workOrder.sha256] : [],
    });
    return { runId, manifest: ref, workOrder: workOrder ?? null };
  });
  return {
    data: result,
    human: ({ colors: c }) =>
      renderFields(c, [
        ['run', c.bold(result.runId)],
        ['manifest', result.manifest.sha256],
        [
          'work order',
          result.workOrder ? `${result.workOrder.sha256} (${result.workOrder.name})` : undefined,
        ],
      ]),
  };
};
