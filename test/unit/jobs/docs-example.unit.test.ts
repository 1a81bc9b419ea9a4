import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBuiltinCatalog } from '../../../src/blueprints/builtins/index.js';
import { parseJobSpec } from '../../../src/blueprints/jobs/parse.js';
import { resolveJob } from '../../../src/blueprints/jobs/resolve.js';
import { isCronTrigger } from '../../../src/blueprints/jobs/spec.js';
import { policyCapsCheck } from '../../../src/project/caps-check.js';
import { cronCheck } from '../../../src/project/cron-check.js';
import { parsePolicy } from '../../../src/project/policy.js';
import { POLICY_TEMPLATE } from '../../../src/project/templates.js';

const doc = readFileSync(resolve(import.meta.dirname, '../../../docs/jobs.md'), 'utf8');
const example = doc.match(/```yaml\n([\s\S]*?)```/)?.[1];

describe('docs/jobs.md', () => {
  it('its example is a valid job that compiles within the default policy', () => {
    expect(example).toBeDefined();
    const job = parseJobSpec(example ?? '', {
      file: '.lily/jobs/nightly-check.job.yaml',
      checks: [cronCheck, policyCapsCheck(parsePolicy(POLICY_TEMPLATE, 'policy.yaml'))],
    });
    expect(isCronTrigger(job.spec.trigger)).toBe(true);
    const resolved = resolveJob(createBuiltinCatalog(), job.spec);
    expect(resolved.plan.steps.map((s) => [s.id, s.needs])).toEqual([
      ['test', []],
      ['lint', []],
      ['pack', ['test', 'lint']],
    ]);
    expect(resolved.plan.timeoutMs).toBe(1_800_000);
  });
});
