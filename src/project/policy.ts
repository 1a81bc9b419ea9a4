import { readFile } from 'node:fs/promises';
import { type Policy, parsePolicy, policySchema } from '../policy/schema.js';

export type { ApprovalRule, DryRunRule, Policy } from '../policy/schema.js';
export { parsePolicy, policySchema } from '../policy/schema.js';

/**
 * Reads `.lily/policy.yaml`. A missing file is the empty policy, which allows no executor and
 * no command: a project without a policy runs nothing with side effects. Throws `policy_invalid`.
 */
export const loadPolicy = async (file: string): Promise<Policy> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as { code?: unknown })?.code === 'ENOENT') return policySchema.parse({});
    throw e;
  }
  return parsePolicy(text, file);
};
