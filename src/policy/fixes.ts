import type { PolicyRequest } from './decide.js';

const POLICY_FILE = '.lily/policy.yaml';

/**
 * What to change so that a denied step may run, per rule of the decision: the job, or the
 * policy. Said by `lily jobs validate` before any run, and carried by every denial so that a
 * failed run says the same thing.
 */
export const fixForDenial = (
  rule: string,
  r: PolicyRequest,
  policyCaps: { timeout_ms?: number; max_attempts?: number } = {},
): string => {
  switch (rule) {
    case 'executors':
      return `add the executor to \`executors\` in ${POLICY_FILE} (or use an allowed one)`;
    case 'commands':
      return `add the program to \`commands\` in ${POLICY_FILE} (a bare name is looked up on its \`path\`), or run an allowed one`;
    case 'env':
      return `remove the variable from the step's env, or allow it under \`env.allow\` in ${POLICY_FILE}`;
    case 'principals':
      return `declare principal ${r.principal} under \`principals\` in ${POLICY_FILE}`;
    case 'capabilities':
      return r.idempotent
        ? `grant the capability to principal ${r.principal} under \`principals\` in ${POLICY_FILE}`
        : `the step is not idempotent: grant principal ${r.principal} its capability (or lily:non-idempotent) in ${POLICY_FILE}`;
    case 'workspace':
      return `allow the path under \`workspace.allow\` in ${POLICY_FILE} (deny wins), or change the step's paths`;
    case 'caps.timeout_ms':
      return policyCaps.timeout_ms !== undefined
        ? `set \`runtime.timeout_ms\` (or the step's timeout) to at most ${policyCaps.timeout_ms} in the job, or raise \`caps.timeout_ms\` in ${POLICY_FILE}`
        : `set \`runtime.timeout_ms\` in the job`;
    case 'caps.max_attempts':
      return `lower the step's retry attempts (runtime.max_attempts) to at most ${policyCaps.max_attempts ?? 'the cap'}, or raise \`caps.max_attempts\` in ${POLICY_FILE}`;
    case 'require_dry_run':
    case 'kind.require_dry_run':
      return `run \`lily jobs run ${r.jobId} --dry-run\` with the same input first`;
    default:
      return `see rule ${rule} in ${POLICY_FILE}`;
  }
};
