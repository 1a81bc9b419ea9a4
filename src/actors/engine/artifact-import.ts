import type { ArtifactStore } from '../../contracts/artifact-store.js';
import { canonicalJson, sha256Hex } from '../../contracts/canonical-json.js';
import { hasErrorCode, LilyError } from '../../contracts/errors.js';
import type { NewEvent } from '../../contracts/events/envelope.js';
import type { ArtifactRef } from '../../contracts/events/shared-schemas.js';
import type { RunId } from '../../contracts/ids.js';
import { errorInfo } from '../error-info.js';
import type { Logger } from '../logger.js';

/** Where blobs made elsewhere can be read by sha256 (the namespace's object store). */
export interface ArtifactSource {
  /** The blob's bytes, checked against the sha; undefined when the source does not hold it. */
  read(sha256: string): Promise<Uint8Array | undefined>;
}

/** Failures that mean "try again later": the batch is retried, and nothing is appended before. */
const TRANSIENT = ['bus_unavailable', 'bus_timeout', 'bus_no_responders', 'bus_closed'] as const;

/** Two records of one blob are the same record when they agree on everything but the time. */
const sameRecord = (a: ArtifactRef, b: ArtifactRef): boolean =>
  canonicalJson({ ...a, createdAt: 0 }) === canonicalJson({ ...b, createdAt: 0 });

const refsOf = (events: readonly NewEvent[]): ArtifactRef[] =>
  events.flatMap((e) =>
    e.type === 'step.succeeded' ? ((e.data as { artifacts?: ArtifactRef[] }).artifacts ?? []) : [],
  );

const putAs = async (local: ArtifactStore, bytes: Uint8Array, ref: ArtifactRef): Promise<ArtifactRef> => {
  const provenance = {
    name: ref.name,
    producer: ref.producer,
    inputs: ref.inputs,
    mediaType: ref.mediaType,
    createdAt: ref.createdAt,
    ...(ref.runId === undefined ? {} : { runId: ref.runId }),
    ...(ref.stepId === undefined ? {} : { stepId: ref.stepId }),
  };
  if (ref.type !== undefined) {
    // A typed artifact was put as canonical JSON: put it the same way, validated against the
    // engine's registry, so it keeps its type.
    const text = new TextDecoder().decode(bytes);
    const value: unknown = JSON.parse(text);
    if (canonicalJson(value) === text) return local.putJson(value, { ...provenance, type: ref.type });
  }
  return local.putBytes(bytes, provenance);
};

/**
 * Makes the project's store hold every artifact a batch of facts names, before the batch is
 * appended (RunHost `beforeAppend`): a worker elsewhere put the blob in the namespace's object
 * store, and the reply carries its ref; the engine copies the blob into `.lily/artifacts` under
 * the same sha256 with the same provenance and lineage. So an event in the log never names an
 * artifact the project cannot read, whoever made it. A blob already here (a local worker's) costs
 * one index read.
 *
 * What is not retried: a blob the source does not hold, whose content does not match its sha,
 * or whose type the engine does not know: logged (`artifact.import_failed`, warn) and the fact
 * appended anyway, as a worker reported it. NATS being unavailable throws: the batch waits.
 */
export const createArtifactImporter =
  (o: { local: ArtifactStore; remote: ArtifactSource; log: Logger }) =>
  async (runId: RunId, events: readonly NewEvent[]): Promise<void> => {
    for (const ref of refsOf(events)) {
      try {
        const first = await o.local.ref(ref.sha256);
        if (first && sameRecord(first, ref)) continue;
        const bytes = first ? (await o.local.get(ref.sha256))?.bytes : await o.remote.read(ref.sha256);
        if (!bytes) {
          throw new LilyError('artifact_not_found', `no blob ${ref.sha256} in the object store`, {
            sha256: ref.sha256,
          });
        }
        if (sha256Hex(bytes) !== ref.sha256) {
          throw new LilyError('artifact_corrupt', `blob ${ref.sha256} does not hash to its name`, {
            sha256: ref.sha256,
          });
        }
        const stored = await putAs(o.local, bytes, ref);
        if (stored.sha256 !== ref.sha256) {
          throw new LilyError('artifact_corrupt', `blob ${ref.sha256} hashed to ${stored.sha256}`, {
            sha256: ref.sha256,
          });
        }
      } catch (e) {
        if (TRANSIENT.some((code) => hasErrorCode(e, code))) throw e;
        o.log.warn(
          { event: 'artifact.import_failed', runId, sha256: ref.sha256, name: ref.name, error: errorInfo(e) },
          'an artifact a worker reported could not be copied into the project',
        );
      }
    }
  };
