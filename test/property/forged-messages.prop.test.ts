/**
 * Random mutations of real messages never change a run (design.md §8): messages a clean run
 * put on the bus (dispatches with their seals, replies with their proofs, events) are captured
 * by an engine-credential subscriber, mutated (a field set to anything, the run id swapped for
 * a live run's, proofs dropped, bytes flipped, another subject), and published with a worker
 * credential by the raw NATS client while a run of the same job is in flight. That run must
 * end exactly like a clean run (the same events, the same outputs), the captured run's log must
 * stay as it was, and nothing the log did not order may run.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunId, StoredEvent } from '../../src/contracts/index.js';
import {
  type Captured,
  dataOf,
  NS,
  pipelineJob,
  type RawClient,
  shape,
  startTrustDeployment,
  type TrustDeployment,
  waitFor,
  writes,
} from '../helpers/trust-deployment.js';

const POLICY = `default_principal: operator
principals: { operator: { capabilities: [] } }
executors: [command, echo]
commands: [node]
workspace: { allow: ["**"], deny: [] }
`;

let d: TrustDeployment;
let attacker: RawClient;
let source: RunId;
let sourceEvents: StoredEvent[];
let captured: Captured[];
let cleanShape: string[];

beforeAll(async () => {
  d = await startTrustDeployment({
    policy: POLICY,
    jobs: (effects) => ({
      pair: pipelineJob('pair', [
        { id: 'a', run: writes(effects, 'a', 150) },
        { id: 'b', run: writes(effects, 'b') },
      ]),
    }),
  });
  attacker = await d.client('worker');
  source = await d.request('pair');
  sourceEvents = await d.completed(source);
  cleanShape = shape(sourceEvents);
  // Everything the clean run put on the bus: its dispatches (sealed), replies (proven), events.
  captured = d.captured.slice();
}, 90_000);

afterAll(async () => {
  await d?.stop();
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a JSON value (objects and arrays included, the root too). */
const paths = (v: Json, at: (string | number)[] = []): (string | number)[][] => {
  const out = [at];
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) out.push(...paths(x, [...at, i]));
  } else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
};

const setAt = (v: Json, path: (string | number)[], value: Json): Json => {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(v)) return v.map((x, i) => (i === head ? setAt(x, rest, value) : x));
  if (v !== null && typeof v === 'object')
    return { ...v, [head]: setAt(v[head as string] as Json, rest, value) };
  return v;
};

const dropKey = (v: Json, key: string): Json => {
  if (Array.isArray(v)) return v.map((x) => dropKey(x, key));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== key)
        .map(([k, x]) => [k, dropKey(x, key)]),
    );
  }
  return v;
};

type Mutation =
  | { kind: 'set'; seed: number; value: Json }
  | { kind: 'retarget' }
  | { kind: 'dropProofs' }
  | { kind: 'flip'; seed: number; bit: number }
  | { kind: 'subject'; seed: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    seed: fc.nat(),
    value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
  }),
  fc.constant({ kind: 'retarget' as const }),
  fc.constant({ kind: 'dropProofs' as const }),
  fc.record({ kind: fc.constant('flip' as const), seed: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('subject' as const), seed: fc.nat() }),
);

const forgeryArb = fc.record({
  pick: fc.nat(),
  // Most forgeries aim at the live run: its id replaces the captured one first.
  retarget: fc.boolean(),
  mutations: fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
});

/** One forged message: a captured message, mutated. */
const forge = (live: RunId, f: { pick: number; retarget: boolean; mutations: Mutation[] }) => {
  const base = captured[f.pick % captured.length] as Captured;
  let subject = base.subject;
  let text = new TextDecoder().decode(base.data);
  if (f.retarget) {
    text = text.split(source).join(live);
    subject = subject.split(source).join(live);
  }
  let bytes: Uint8Array | undefined;
  for (const m of f.mutations) {
    if (m.kind === 'subject') {
      const subjects = [
        `lily.${NS}.in.${live}`,
        `lily.${NS}.in.${source}`,
        `lily.${NS}.cmd.exec.command`,
        `lily.${NS}.cmd.exec.echo`,
        `lily.${NS}.cmd.sched`,
        `lily.${NS}.cmd.answer`,
        `lily.${NS}.cmd.policy`,
        `lily.${NS}.sys.ping`,
      ];
      subject = subjects[m.seed % subjects.length] as string;
      continue;
    }
    if (m.kind === 'flip') {
      bytes = new TextEncoder().encode(text);
      if (bytes.length > 0) {
        const i = m.seed % bytes.length;
        bytes[i] = (bytes[i] as number) ^ (1 << m.bit);
      }
      text = new TextDecoder().decode(bytes);
      continue;
    }
    let json: Json;
    try {
      json = JSON.parse(text) as Json;
    } catch {
      continue;
    }
    if (m.kind === 'retarget') json = JSON.parse(JSON.stringify(json).split(source).join(live)) as Json;
    else if (m.kind === 'dropProofs') json = dropKey(json, 'proof');
    else {
      const all = paths(json);
      json = setAt(json, all[m.seed % all.length] as (string | number)[], m.value);
    }
    text = JSON.stringify(json);
  }
  return { subject, data: new TextEncoder().encode(text) };
};

describe('forged messages (worker credential) never change a run', () => {
  it('random mutations of captured messages leave every run as a clean run would be', async () => {
    expect(captured.some((m) => m.subject.includes('.cmd.exec.'))).toBe(true);
    expect(captured.some((m) => m.subject.includes('.in.'))).toBe(true);
    await fc.assert(
      fc.asyncProperty(fc.array(forgeryArb, { minLength: 1, maxLength: 8 }), async (forgeries) => {
        const live = await d.request('pair');
        await waitFor('a dispatched', async () =>
          (await d.events(live)).some((e) => e.type === 'step.dispatched') ? true : undefined,
        );
        for (const f of forgeries) {
          const { subject, data } = forge(live, f);
          try {
            attacker.nc.publish(subject, data);
          } catch {
            // An invalid subject is refused by the client itself.
          }
        }
        await attacker.nc.flush();
        const events = await d.completed(live);
        expect(shape(events)).toEqual(cleanShape);
        expect(
          dataOf(events, 'step.succeeded').map((s) => (s.output as { exitCode?: number }).exitCode),
        ).toEqual([0, 0]);
        expect(d.effect('a', live) && d.effect('b', live)).toBe(true);
        expect(await d.events(source)).toHaveLength(sourceEvents.length);
      }),
      { numRuns: 25 },
    );
  }, 240_000);
});
