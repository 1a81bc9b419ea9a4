import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/contracts/artifact-store.js';
import { canonicalJson, hashJson, sha256Hex } from '../../src/contracts/canonical-json.js';
import type { SimulatedClock } from '../../src/contracts/clock.js';
import { tempDir } from '../helpers/eventstore.js';
import { ARTIFACT_STORE_FACTORIES, TEST_SCHEMAS } from '../helpers/eventstore-artifacts.js';

const codeOf = async (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'resolved',
    (e: { code?: string }) => e.code ?? 'no code',
  );

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());

const opts = { name: 'thing', producer: 'test' };

describe.each(ARTIFACT_STORE_FACTORIES)('ArtifactStore contract: $name', (factory) => {
  let store: ArtifactStore;
  let clock: SimulatedClock;
  let dir: string | undefined;
  let reopen: (() => Promise<ArtifactStore>) | undefined;
  let destroy: () => Promise<void>;
  const scratch = tempDir('art-src');
  afterAll(() => scratch.cleanup());
  beforeEach(async () => {
    ({ store, clock, dir, reopen, destroy } = await factory.create(TEST_SCHEMAS));
  });
  afterEach(async () => {
    await destroy();
  });

  it('putJson stores canonical JSON under its sha256 with a full ref', async () => {
    const ref = await store.putJson({ b: 1, a: [true, null] }, { ...opts, runId: 'R1', stepId: 's1' });
    expect(ref).toEqual({
      sha256: hashJson({ a: [true, null], b: 1 }),
      size: canonicalJson({ a: [true, null], b: 1 }).length,
      mediaType: 'application/json',
      name: 'thing',
      producer: 'test',
      runId: 'R1',
      stepId: 's1',
      inputs: [],
      createdAt: 1_000,
    });
    const got = await store.get(ref.sha256);
    expect(new TextDecoder().decode(got?.bytes)).toBe('{"a":[true,null],"b":1}');
    expect(got?.ref).toEqual(ref);
    expect(await store.ref(ref.sha256)).toEqual(ref);
  });

  it('text, bytes and files with the same content share one blob', async () => {
    const src = join(scratch.dir, 'in.txt');
    writeFileSync(src, 'hello');
    const t = await store.putText('hello', opts);
    clock.advance(1);
    const b = await store.putBytes(new TextEncoder().encode('hello'), { ...opts, name: 'b' });
    const f = await store.putFile(src, { ...opts, name: 'f', mediaType: 'text/x-greeting' });
    expect(new Set([t.sha256, b.sha256, f.sha256])).toEqual(new Set([sha256Hex('hello')]));
    expect([t.mediaType, b.mediaType, f.mediaType]).toEqual([
      'text/plain; charset=utf-8',
      'application/octet-stream',
      'text/x-greeting',
    ]);
    expect(f.size).toBe(5);
    expect(readFileSync(await store.openPath(t.sha256), 'utf8')).toBe('hello');
    expect(await store.ref(t.sha256)).toEqual(t);
  });

  it('a repeated put returns the first record; different provenance adds a record', async () => {
    const first = await store.putText('x', { ...opts, runId: 'R1' });
    clock.advance(500);
    expect(await store.putText('x', { ...opts, runId: 'R1' })).toEqual(first);
    const second = await store.putText('x', { ...opts, runId: 'R2' });
    expect(second.createdAt).toBe(1_500);
    expect((await store.list()).map((r) => r.runId)).toEqual(['R1', 'R2']);
    expect(await store.list({ runId: 'R2' })).toEqual([second]);
    expect(await store.list({ runId: 'R3' })).toEqual([]);
    expect(await store.list({ name: 'thing' })).toHaveLength(2);
  });

  it('typed JSON is validated against the registry; refusals store nothing', async () => {
    const ok = await store.putJson({ title: 't', score: 1 }, { ...opts, type: 'report@1' });
    expect(ok.type).toBe('report@1');
    expect(await codeOf(store.putJson({ title: 't' }, { ...opts, type: 'report@1' }))).toBe(
      'artifact_data_invalid',
    );
    expect(await codeOf(store.putJson({}, { ...opts, type: 'unknown@1' }))).toBe('artifact_type_unknown');
    expect(await codeOf(store.putJson({}, { ...opts, type: 'not a type' }))).toBe('artifact_type_unknown');
    expect(await store.list()).toEqual([ok]);
    expect(await store.list({ type: 'report@1' })).toEqual([ok]);
  });

  it('walks lineage as a DAG, shared ancestors once, unknown inputs marked missing', async () => {
    const a = await store.putText('a', { ...opts, name: 'a' });
    const ghost = sha256Hex('never stored');
    const b = await store.putText('b', { ...opts, name: 'b', inputs: [a.sha256, ghost] });
    const c = await store.putText('c', { ...opts, name: 'c', inputs: [b.sha256, a.sha256] });
    const lineage = await store.lineage(c.sha256);
    expect(lineage.root).toBe(c.sha256);
    expect(lineage.nodes.map((n) => n.sha256)).toEqual([c.sha256, ...[a.sha256, b.sha256].sort(), ghost]);
    expect(lineage.nodes.find((n) => n.sha256 === ghost)?.missing).toBe(true);
    expect(lineage.nodes.find((n) => n.sha256 === b.sha256)?.refs).toEqual([b]);
    expect(lineage.edges).toHaveLength(4);
    expect(lineage.edges).toContainEqual([c.sha256, a.sha256]);
    expect(lineage.edges).toContainEqual([b.sha256, ghost]);
  });

  it('names are labels, never paths; only a valid sha256 can address a blob', async () => {
    const names = ['../../escape', '/etc/passwd', 'a\0b', '..', 'C:\\windows'];
    for (const name of names) await store.putText(`content of ${name}`, { ...opts, name });
    expect((await store.list()).map((r) => r.name).sort()).toEqual([...names].sort());
    for (const bad of ['../../etc/passwd', '/etc/passwd', `${'a'.repeat(63)}\0`, 'A'.repeat(64), '']) {
      expect(await codeOf(store.get(bad))).toBe('id_invalid');
      expect(await codeOf(store.openPath(bad))).toBe('id_invalid');
    }
    expect(await codeOf(store.putText('x', { ...opts, inputs: ['../x'] }))).toBe('id_invalid');
    expect(await codeOf(store.openPath(sha256Hex('nope')))).toBe('artifact_not_found');
    if (dir) {
      const root = dirname(dir);
      for (const f of filesUnder(root)) {
        const rel = relative(dir, f);
        expect(rel.startsWith('artifacts/sha256/') || rel.startsWith('db/'), rel).toBe(true);
      }
      expect(filesUnder(join(dir, 'artifacts', 'sha256'))).toHaveLength(names.length);
      expect(filesUnder(join(dir, 'artifacts', 'tmp'))).toEqual([]);
    }
  });

  it('remove deletes the blob and its records', async () => {
    const r = await store.putText('gone', opts);
    expect(await store.remove(r.sha256)).toBe(true);
    expect(await store.get(r.sha256)).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect(await store.remove(r.sha256)).toBe(false);
  });

  it('survives a reopen (persistent adapters)', async () => {
    const r = await store.putJson({ keep: 1 }, { ...opts, runId: 'R' });
    if (!reopen) return;
    store = await reopen();
    expect((await store.get(r.sha256))?.ref).toEqual(r);
    expect(await store.list({ runId: 'R' })).toEqual([r]);
  });
});
