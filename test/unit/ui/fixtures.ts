/** Event logs of real runs (a `lily up` deployment, `lily runs events --json`) and a golden history. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredEvent } from '../../../src/contracts/events/envelope.js';

const DIR = join(import.meta.dirname, '../../fixtures');

/** flaky: fails after 3 attempts; gated: a gate, then an approval granted; slow: cancelled while running; timeout: two attempts time out; hello: succeeds. */
export const runLog = (name: 'flaky' | 'gated' | 'slow' | 'timeout' | 'hello'): StoredEvent[] =>
  readFileSync(join(DIR, 'ui', `${name}.events.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as StoredEvent);

/** The golden history with an approval and a partitioned step (two shards, one fails). */
export const partitionHistory = (): StoredEvent[] =>
  (
    JSON.parse(readFileSync(join(DIR, 'histories', 'partition-collect-approval.v1.json'), 'utf8')) as {
      events: StoredEvent[];
    }
  ).events;
