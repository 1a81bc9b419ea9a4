import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/contracts/canonical-json.js';
import { renderEventsJsonl } from '../../src/eventstore/projections/events-jsonl.js';
import { foldReceiptState, projectReceipt } from '../../src/eventstore/projections/receipt.js';
import { renderSummary } from '../../src/eventstore/projections/summary.js';
import { renderReceiptFiles } from '../../src/eventstore/write-receipts.js';
import { runEventsArb } from '../helpers/eventstore-arbitraries.js';

describe('run projections (property)', () => {
  it('are deterministic: the same events give byte-identical files', () => {
    fc.assert(
      fc.property(runEventsArb, (events) => {
        const a = renderReceiptFiles(events).files;
        const b = renderReceiptFiles(structuredClone(events)).files;
        expect(b).toEqual(a);
        expect(canonicalJson(projectReceipt(events))).toBe(canonicalJson(projectReceipt(events)));
        expect(renderSummary(projectReceipt(events))).toBe(a['summary.md']);
      }),
      { numRuns: 200 },
    );
  });

  it('folding from a snapshot equals folding from the start', () => {
    fc.assert(
      fc.property(runEventsArb, fc.nat(), (events, cut) => {
        const k = events.length === 0 ? 0 : cut % (events.length + 1);
        const snapshot = JSON.parse(canonicalJson(foldReceiptState(events.slice(0, k))));
        const fromSnapshot = projectReceipt(events.slice(k), snapshot);
        expect(canonicalJson(fromSnapshot)).toBe(canonicalJson(projectReceipt(events)));
      }),
      { numRuns: 300 },
    );
  });

  it('never modify the events or the snapshot they are given', () => {
    fc.assert(
      fc.property(runEventsArb, (events) => {
        const before = canonicalJson(events);
        const state = foldReceiptState(events.slice(0, 3));
        const stateBefore = canonicalJson(state);
        projectReceipt(events.slice(3), state);
        renderEventsJsonl(events);
        expect(canonicalJson(events)).toBe(before);
        expect(canonicalJson(state)).toBe(stateBefore);
      }),
      { numRuns: 100 },
    );
  });
});
