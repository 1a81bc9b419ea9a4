/**
 * Child process for the freshness test: writes into an LMDB environment shared with its parent,
 * then exits. Run as `node --import tsx record-child.ts <dbPath> <what> <key>`.
 *   what `record`:   compare-and-set of `<key>` in the dispatch-claims table (from revision 0);
 *   what `artifact`: an artifact index record of a blob whose sha256 is `<key>`, for run `run-<key>`.
 */
import { createLmdbArtifactIndex } from '../../../src/eventstore/fs-artifact-store.js';
import { openLilyLmdb } from '../../../src/eventstore/lmdb-env.js';
import { lmdbVersionedRecords } from '../../../src/eventstore/versioned-records.js';

const [dbPath, what, key] = process.argv.slice(2);
if (!dbPath || !what || !key) throw new Error('usage: record-child <db> <record|artifact> <key>');
const root = openLilyLmdb(dbPath);
if (what === 'record') {
  await lmdbVersionedRecords<string>(root, 'dispatch-claims').compareAndSet(
    key,
    `written by ${process.pid}`,
    0,
  );
} else {
  await createLmdbArtifactIndex(root, false).put('out', {
    sha256: key,
    size: 1,
    mediaType: 'text/plain',
    name: 'out.txt',
    producer: 'record-child',
    runId: `run-${key}`,
    inputs: [],
    createdAt: 0,
  });
}
await root.close();
