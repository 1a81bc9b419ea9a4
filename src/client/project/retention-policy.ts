import type { JobLoadResult } from '../../blueprints/jobs/repository.js';
import type { RetentionPolicy } from '../../eventstore/retention.js';
import type { LilyConfig } from '../../project/config.js';

type Retention = { keep_last?: number; max_age_days?: number };

const toPolicy = (r: Retention): RetentionPolicy => ({
  ...(r.keep_last === undefined ? {} : { keepLast: r.keep_last }),
  ...(r.max_age_days === undefined ? {} : { keepDays: r.max_age_days }),
});

/**
 * Per job: its `output.retention`, key by key over the config's `retention` defaults. Jobs
 * whose spec is gone or invalid get the defaults.
 */
export const retentionPolicies = (
  config: LilyConfig,
  jobs: readonly JobLoadResult[],
): ((jobId: string) => RetentionPolicy) => {
  const byJob = new Map<string, Retention>();
  for (const r of jobs) if (r.ok) byJob.set(r.id, r.job.spec.output.retention);
  return (jobId) => toPolicy({ ...config.retention, ...stripUndefined(byJob.get(jobId) ?? {}) });
};

const stripUndefined = (r: Retention): Retention =>
  Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Retention;
