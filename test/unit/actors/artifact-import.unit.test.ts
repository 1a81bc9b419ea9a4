/**
 * The engine's import of artifacts made elsewhere (before the reply naming them is appended):
 * copied with the same hash and provenance, typed ones keep their type, local ones cost no
 * remote read; what cannot be copied is logged and not retried, NATS being away is.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ArtifactSource, createArtifactImporter } from '../../../src/actors/engine/artifact-import.js';
import { memoryLogger } from '../../../src/actors/logger.js';
import { SimulatedClock } from '../../../src/contracts/clock.js';
import type { ArtifactRef, NewEvent, RunId } from '../../../src/contracts/index.js';
import { LilyError } from '../../../src/contracts/index.js';
import { createInMemoryArtifactStore } from '../../../src/eventstore/in-memory-artifact-store.js';

const RUN = '01J0000000000000000000000R' as RunId;
const registry = { get: (t: string) => (t === 'report@1' ? z.object({ score: z.number() }) : undefined) };

const succeeded = (artifacts: ArtifactRef[]): NewEvent => ({
  id: 'x',
  type: 'step.succeeded',
  at: 1,
  data: { stepId: 's', attempt: 1, dispatchId: `${RUN}/s/1`, output: null, artifacts, durationMs: 1 },
  meta: { causationId: null, correlationId: RUN, producer: 'worker/far' } as never,
});

const setup = () => {
  const elsewhere = createInMemoryArtifactStore({ clock: new SimulatedClock(5_000), registry });
  const local = createInMemoryArtifactStore({ clock: new SimulatedClock(9_000), registry });
  const reads: string[] = [];
  const tampered = new Map<string, Uint8Array>();
  let fail: Error | undefined;
  const remote: ArtifactSource = {
    async read(sha) {
      reads.push(sha);
      if (fail) throw fail;
      return tampered.get(sha) ?? (await elsewhere.get(sha))?.bytes;
    },
  };
  const log = memoryLogger();
  const importer = createArtifactImporter({ local, remote, log });
  return {
    elsewhere,
    local,
    reads,
    log,
    importer,
    failWith: (e: Error) => {
      fail = e;
    },
    tamper: (sha: string, bytes: Uint8Array) => tampered.set(sha, bytes),
  };
};

describe('importing artifacts made elsewhere', () => {
  it('copies each blob with the same hash and provenance; typed JSON keeps its type', async () => {
    const h = setup();
    const text = await h.elsewhere.putText('out', {
      name: 's.1.stdout',
      producer: 'executor/command',
      runId: RUN,
      stepId: 's',
    });
    const typed = await h.elsewhere.putJson(
      { score: 3 },
      {
        name: 'report',
        producer: 'executor/x',
        runId: RUN,
        type: 'report@1',
        inputs: [text.sha256],
      },
    );
    await h.importer(RUN, [succeeded([text, typed])]);
    expect(await h.local.ref(text.sha256)).toEqual(text);
    expect(await h.local.ref(typed.sha256)).toEqual(typed);
    expect((await h.local.lineage(typed.sha256)).edges).toEqual([[typed.sha256, text.sha256]]);
    expect(new TextDecoder().decode((await h.local.get(text.sha256))?.bytes)).toBe('out');
  });

  it('a blob already in the project with the same record is not read again', async () => {
    const h = setup();
    const ref = await h.local.putText('here', { name: 'n', producer: 'executor/command', runId: RUN });
    await h.importer(RUN, [succeeded([ref])]);
    expect(h.reads).toEqual([]);
  });

  it('a missing blob, or one that does not hash to its name, is logged, not retried', async () => {
    const h = setup();
    const ghost: ArtifactRef = {
      sha256: 'a'.repeat(64),
      size: 1,
      mediaType: 'text/plain',
      name: 'ghost',
      producer: 'executor/x',
      inputs: [],
      createdAt: 1,
    };
    await h.importer(RUN, [succeeded([ghost])]);
    const real = await h.elsewhere.putText('real', { name: 'r', producer: 'executor/x', runId: RUN });
    h.tamper(real.sha256, new TextEncoder().encode('not what was put'));
    await h.importer(RUN, [succeeded([real])]);
    const failures = h.log.entries.filter((e) => e.event === 'artifact.import_failed');
    expect(failures.map((e) => (e.error as { code: string }).code)).toEqual([
      'artifact_not_found',
      'artifact_corrupt',
    ]);
    expect(await h.local.ref(ghost.sha256)).toBeUndefined();
    expect(await h.local.list()).toEqual([]);
  });

  it('NATS being away fails the batch (the run host retries it)', async () => {
    const h = setup();
    const ref = await h.elsewhere.putText('later', { name: 'n', producer: 'executor/command', runId: RUN });
    h.failWith(new LilyError('bus_unavailable', 'object store get: timeout', {}));
    await expect(h.importer(RUN, [succeeded([ref])])).rejects.toMatchObject({ code: 'bus_unavailable' });
    expect(await h.local.ref(ref.sha256)).toBeUndefined();
  });

  it('facts other than step.succeeded name no artifact to copy', async () => {
    const h = setup();
    await h.importer(RUN, [{ ...succeeded([]), type: 'step.started', data: { worker: 'far' } } as NewEvent]);
    expect(h.reads).toEqual([]);
  });
});
