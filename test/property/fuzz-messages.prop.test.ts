/**
 * Fuzzing the message decoders: every schema of src/actors/messages.ts on arbitrary JSON (and
 * on values shaped like its messages), and typed subscriptions on arbitrary bytes. No input
 * may throw from a decoder or fail a subscriber's handler: it is handed over valid or rejected.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createInMemoryBus, decodeJson, encodeJson } from '../../src/actors/bus/index.js';
import { memoryLogger } from '../../src/actors/logger.js';
import {
  execItemSchema,
  execMessageSchema,
  inboundEventSchema,
  inboxMessageSchema,
  pingReplySchema,
  policyMessageSchema,
  runRequestReplySchema,
  schedMessageSchema,
} from '../../src/actors/messages.js';

const SCHEMAS = {
  inboundEventSchema,
  inboxMessageSchema,
  execItemSchema,
  execMessageSchema,
  policyMessageSchema,
  schedMessageSchema,
  runRequestReplySchema,
  pingReplySchema,
} as const;

/** Values shaped like bus messages: the right keys, anything as values. */
const messageLike = fc.oneof(
  fc.jsonValue(),
  fc.record({ runId: fc.string(), events: fc.array(fc.jsonValue(), { maxLength: 4 }) }),
  fc.record({
    items: fc.array(
      fc.record({
        kind: fc.constantFrom('step', 'gate', 'partition', 'nuke'),
        runId: fc.string(),
        jobId: fc.string(),
        data: fc.jsonValue(),
        grant: fc.oneof(fc.string(), fc.jsonValue()),
      }),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    type: fc.constantFrom('timer.schedule', 'timer.cancel', 'run.request', 'run.cancel', 'x'),
    runId: fc.string(),
    jobId: fc.string(),
    input: fc.jsonValue(),
    data: fc.jsonValue(),
    rerun: fc.jsonValue(),
  }),
);

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.jsonValue().map((v) => encodeJson(v)),
  messageLike.map((v) => encodeJson(v)),
  fc.string({ unit: 'binary' }).map((s) => new TextEncoder().encode(s)),
);

describe('message schemas on arbitrary values', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`${name}.safeParse never throws`, () => {
      fc.assert(
        fc.property(messageLike, (value) => {
          const result = schema.safeParse(value);
          expect(typeof result.success).toBe('boolean');
        }),
        { numRuns: 150 },
      );
    });
  }

  it('decodeJson never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        const decoded = decodeJson(data);
        expect(typeof decoded.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});

describe('typed subscriptions on arbitrary bytes', () => {
  it('every message is either handed over valid or rejected; no handler fails', async () => {
    const log = memoryLogger();
    const bus = createInMemoryBus({ logger: log });
    const seen = { valid: 0, rejected: 0 };
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      bus.subscribeTyped(
        `fuzz.${name}`,
        schema,
        (data) => {
          expect(schema.safeParse(data).success).toBe(true);
          seen.valid += 1;
        },
        {
          onRejected: () => {
            seen.rejected += 1;
          },
        },
      );
    }
    const names = Object.keys(SCHEMAS);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), bytes, async (name, data) => {
        bus.publishBytes(`fuzz.${name}`, data);
        await bus.flush();
      }),
      { numRuns: 300 },
    );
    await bus.close();
    expect(seen.valid + seen.rejected).toBe(300);
    expect(log.entries.filter((e) => e.event === 'bus.handler_failed')).toEqual([]);
  });
});
