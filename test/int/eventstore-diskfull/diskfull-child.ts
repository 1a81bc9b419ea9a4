/**
 * Child process of the disk-full test. Run as `node --import tsx diskfull-child.ts <dbPath>`,
 * possibly under `prlimit --fsize=<bytes>`. Appends until the store refuses, prints
 * `{"phase":"full",...}`, waits for a line on stdin (the parent frees space), appends again,
 * closes, reopens and prints `{"phase":"done",...}` with what the reopened store holds.
 * Writes past RLIMIT_FSIZE raise SIGXFSZ, which would kill the process: it is ignored here, so
 * the write fails with EFBIG instead (what a full disk looks like to LMDB).
 */
import { createInterface } from 'node:readline';
import { isLilyError } from '../../../src/contracts/errors.js';
import type { NewEvent } from '../../../src/contracts/events/envelope.js';
import type { EventStore } from '../../../src/eventstore/event-store.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';

process.on('SIGXFSZ', () => undefined);

const [dbPath] = process.argv.slice(2);
if (!dbPath) throw new Error('usage: diskfull-child <dbPath>');

const STREAM = 'system';
const PAYLOAD = 'x'.repeat(3_000);
const event = (id: string): NewEvent => ({
  id,
  type: 'message.rejected',
  at: 0,
  data: { subject: 'lily.test.in.x', reason: PAYLOAD, issues: [] },
  meta: { producer: 'diskfull-child' },
});

const print = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);
const codeOf = (e: unknown) => (isLilyError(e) ? e.code : `not a LilyError: ${String(e)}`);

/** Appends batches of 3 concurrent one-event appends; returns the ids acknowledged and the failures. */
const appendRound = async (store: EventStore, prefix: string, n: number) => {
  const results = await Promise.allSettled(
    Array.from({ length: n }, (_, i) =>
      store.append(STREAM, [event(`${prefix}-${i}`)]).then(() => `${prefix}-${i}`),
    ),
  );
  const acked = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  return { acked, failed };
};

const main = async () => {
  const store = openLmdbEventStore({ path: dbPath });
  const acked: string[] = [];
  const codes: string[] = [];
  let message = '';
  for (let round = 0; round < 5_000 && codes.length < 6; round++) {
    const r = await appendRound(store, `before${round}`, 3);
    acked.push(...r.acked);
    for (const e of r.failed) {
      codes.push(codeOf(e));
      message ||= e instanceof Error ? e.message : String(e);
    }
  }
  const readable = (await store.readStream(STREAM)).length;
  print({ phase: 'full', acked: acked.length, codes, message, readable });

  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  await lines.next();

  const after: string[] = [];
  const afterCodes: string[] = [];
  for (let round = 0; round < 3; round++) {
    const r = await appendRound(store, `after${round}`, 3);
    after.push(...r.acked);
    afterCodes.push(...r.failed.map(codeOf));
  }
  await store.close();
  const reopened = openLmdbEventStore({ path: dbPath });
  const stored = new Set((await reopened.readStream(STREAM)).map((e) => e.id));
  await reopened.close();
  const missing = [...acked, ...after].filter((id) => !stored.has(id));
  print({ phase: 'done', after: after.length, afterCodes, stored: stored.size, missing });
  process.exit(0);
};

await main();
