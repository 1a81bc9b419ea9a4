import type { Clock } from '../../contracts/clock.js';
import { applyRetention, planRetention, type RetentionReport } from '../../eventstore/retention.js';
import type { Project } from '../../project/open.js';
import type { Stores } from '../stores.js';
import { retentionPolicies } from './retention-policy.js';

/**
 * Retention: expired runs lose their projection directories and the blobs nothing kept refers
 * to; events are never deleted. With `dryRun` nothing is deleted. Deletion failures are listed
 * in `errors`, not thrown.
 */
export const collectGarbage = async (
  project: Project,
  stores: Stores,
  clock: Clock,
  dryRun: boolean,
): Promise<RetentionReport> => {
  const policyFor = retentionPolicies(project.config, await project.jobs.loadAll());
  const plan = await planRetention({
    events: stores.events,
    artifacts: stores.artifacts,
    runsDir: stores.runsDir,
    policyFor,
    now: clock.now(),
  });
  return applyRetention(plan, { artifacts: stores.artifacts, dryRun });
};
