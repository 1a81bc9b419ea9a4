/** Reads every stream and the whole log of the store at argv[2]; prints the outcome as JSON. */
import { isLilyError } from '../../../src/contracts/errors.js';
import { openLmdbEventStore } from '../../../src/eventstore/lmdb-event-store.js';

const dir = process.argv[2] as string;
try {
  const store = openLmdbEventStore({ path: dir });
  let events = 0;
  for (const stream of await store.listStreams()) events += (await store.readStream(stream)).length;
  events += (await store.readAll()).length;
  await store.close();
  process.stdout.write(JSON.stringify({ ok: true, events }));
} catch (e) {
  process.stdout.write(
    JSON.stringify(
      isLilyError(e)
        ? { ok: false, code: e.code, error: e.message, data: e.data }
        : { ok: false, error: String(e) },
    ),
  );
}
