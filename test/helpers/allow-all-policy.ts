import { type Policy, policySchema } from '../../src/policy/schema.js';

/**
 * A policy that allows every executor and command anywhere in the workspace: for tests of the
 * run host and workers, which compose the real PolicyGate with it (the gate has its own tests).
 */
export const allowAllPolicy: Policy = policySchema.parse({
  executors: ['*'],
  commands: ['*'],
  workspace: { allow: ['**'] },
});
