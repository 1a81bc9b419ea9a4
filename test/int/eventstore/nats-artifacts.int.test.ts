/**
 * The object-store artifact adapter beyond the contract suite: blobs larger than a chunk (put
 * from bytes and streamed from a file), and an object someone put under a name that is not its
 * hash is never handed out.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../../src/contracts/artifact-store.js';
import { sha256Hex } from '../../../src/contracts/canonical-json.js';
import { ensureLilyBuckets, type LilyBuckets } from '../../../src/eventstore/jetstream/buckets.js';
import { openNatsArtifactStore } from '../../../src/eventstore/jetstream/nats-artifact-store.js';
import { type NatsServerHandle, startNatsServer } from '../../helpers/nats-server.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let buckets: LilyBuckets;
let store: ArtifactStore;
const scratch = mkdtempSync(join(tmpdir(), 'lily-nats-art-'));

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  nc = await connect({ servers: server.url });
  buckets = await ensureLilyBuckets(nc, 'big', { replicas: 1 });
  store = openNatsArtifactStore({ buckets, retryWithinMs: 2_000 });
});

afterAll(async () => {
  await store?.close();
  await nc?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the object-store artifact adapter', () => {
  it('round-trips blobs of many chunks, from bytes and streamed from a file', async () => {
    const bytes = randomBytes(1_300_000);
    const ref = await store.putBytes(bytes, { name: 'big.bin', producer: 'test' });
    expect(ref.sha256).toBe(sha256Hex(bytes));
    expect(ref.size).toBe(bytes.length);
    expect(Buffer.from((await store.get(ref.sha256))?.bytes ?? []).equals(bytes)).toBe(true);
    const info = await buckets.artifacts.info(ref.sha256);
    expect(info?.chunks).toBeGreaterThan(5);
    const file = join(scratch, 'big.file');
    const content = randomBytes(700_000);
    writeFileSync(file, content);
    const fromFile = await store.putFile(file, { name: 'file', producer: 'test' });
    expect(fromFile).toMatchObject({ sha256: sha256Hex(content), size: content.length });
    expect(Buffer.from((await store.get(fromFile.sha256))?.bytes ?? []).equals(content)).toBe(true);
  });

  it('an object under a name that is not its hash is refused as artifact_corrupt', async () => {
    const honest = await store.putText('honest', { name: 'h', producer: 'test' });
    // Someone with write access replaces the object behind that name with other content.
    await buckets.artifacts.putBlob({ name: honest.sha256 }, new TextEncoder().encode('forged'));
    await expect(store.get(honest.sha256)).rejects.toMatchObject({ code: 'artifact_corrupt' });
    await expect(store.openPath(honest.sha256)).rejects.toMatchObject({ code: 'artifact_corrupt' });
  });
});
