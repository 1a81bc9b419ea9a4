import type { JobSpecCheck } from '../blueprints/jobs/parse.js';
import type { Policy } from './policy.js';

/**
 * Refuses a job whose runtime asks for more than the policy's caps (runbook: "runtime caps
 * are within policy limits"), reported at the job's own line as `job_invalid_spec`.
 */
export const policyCapsCheck =
  (policy: Policy): JobSpecCheck =>
  (spec) => {
    const problems: { path: PropertyKey[]; message: string }[] = [];
    const check = (key: 'timeout_ms' | 'max_attempts' | 'concurrency') => {
      const cap = policy.caps[key];
      const asked = spec.runtime[key];
      if (cap !== undefined && asked !== undefined && asked > cap) {
        problems.push({
          path: ['runtime', key],
          message: `${asked} exceeds the policy cap caps.${key} = ${cap}`,
        });
      }
    };
    check('timeout_ms');
    check('max_attempts');
    check('concurrency');
    return problems;
  };
