import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';
import { writeReceipts, writeReceiptsSync } from '../../../src/eventstore/write-receipts.js';
import { tempDir } from '../../helpers/eventstore.js';
import { SAMPLE_JOB_ID, SAMPLE_RUN_ID, sampleRunEvents } from '../../helpers/eventstore-runs.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const readAll = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

describe('writeReceipts from an LMDB log', () => {
  it('writes the three files, and a rebuild from the log is byte-identical', async () => {
    const { dir, cleanup } = tempDir('receipts');
    cleanups.push(cleanup);
    const store = openLmdbEventStore({ path: join(dir, 'db') });
    try {
      await store.append(`run/${SAMPLE_RUN_ID}`, sampleRunEvents('failed'));
      const events = await store.readStream(`run/${SAMPLE_RUN_ID}`);
      const runsDir = join(dir, 'runs');
      const first = await writeReceipts(runsDir, events);
      expect(first.dir).toBe(join(runsDir, SAMPLE_JOB_ID, `20240102T030405006Z-${SAMPLE_RUN_ID}`));
      const files = readAll(first.dir);
      expect(Object.keys(files).sort()).toEqual(['events.jsonl', 'run_receipt.json', 'summary.md']);
      expect(JSON.parse(files['run_receipt.json'] ?? '')).toEqual(first.receipt);

      const again = await writeReceipts(runsDir, await store.readStream(`run/${SAMPLE_RUN_ID}`));
      expect(readAll(again.dir)).toEqual(files);
      // The blocking variant (the projector thread's) writes the same bytes, over the old set too.
      const blocking = writeReceiptsSync(runsDir, await store.readStream(`run/${SAMPLE_RUN_ID}`));
      expect(blocking.dir).toBe(first.dir);
      expect(blocking.receipt).toEqual(first.receipt);
      expect(readAll(blocking.dir)).toEqual(files);
      const fresh = writeReceiptsSync(join(dir, 'fresh'), events);
      expect(readAll(fresh.dir)).toEqual(files);
      expect(readdirSync(join(runsDir, SAMPLE_JOB_ID))).toEqual([`20240102T030405006Z-${SAMPLE_RUN_ID}`]);
    } finally {
      await store.close();
    }
  });
});
