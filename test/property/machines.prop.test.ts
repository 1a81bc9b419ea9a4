import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createRunProgram } from '../../src/machines/program.js';
import { checkRun, outcomesArb, planArb } from '../../src/testing/index.js';

describe('run machines (property)', () => {
  it('over 250 random plans and outcome sequences: terminates, bounded retries, replay equals live', () => {
    fc.assert(
      fc.property(planArb(), outcomesArb(), (plan, choices) => {
        checkRun(createRunProgram(plan), choices);
      }),
      { numRuns: 250 },
    );
  });
});
