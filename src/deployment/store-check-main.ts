/**
 * `node dist/deployment/store-check-main.js <.lily dir>`: opens the project's storage, verifies
 * the whole log and prints `{ok, events, streams}` or `{ok: false, code, message, data}` as one
 * JSON line. Run in its own process by `checkStoreIsolated`, because LMDB has no page checksums
 * and a damaged B-tree page can fault the process that maps it.
 */
import { toLilyError } from '../contracts/errors.js';
import { openLilyStorage } from '../eventstore/storage.js';
import { verifyEventStore } from '../eventstore/verify-store.js';

const root = process.argv[2];
try {
  if (!root) throw new Error('usage: store-check-main.js <.lily dir>');
  const storage = await openLilyStorage({ dir: root });
  try {
    const result = await verifyEventStore(storage.events);
    process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
  } finally {
    await storage.close();
  }
} catch (e) {
  const error = toLilyError(e);
  process.stdout.write(
    `${JSON.stringify({ ok: false, code: error.code, message: error.message, data: error.data })}\n`,
  );
}
