import type { LilyClient } from '../../client/index.js';
import type { DeploymentDoc, InFlightRow } from '../model/wire.js';
import type { Route } from './router.js';

const OPEN = new Set(['dispatched', 'running']);

/** What the running runs are doing now: their dispatched and running attempts, from their receipts. */
const inFlight = async (
  client: LilyClient,
): Promise<{ rows: InFlightRow[]; approvals: number; indeterminate: number }> => {
  const { runs } = await client.runs.search({ status: 'running', limit: 1000 });
  const rows: InFlightRow[] = [];
  for (const run of runs) {
    const { receipt } = await client.runs.get(run.runId).describe();
    for (const step of receipt.steps) {
      for (const a of step.attempts) {
        if (!OPEN.has(a.outcome)) continue;
        rows.push({
          runId: run.runId,
          jobId: run.jobId,
          stepId: step.stepId,
          attempt: a.attempt,
          shard: a.shard,
          dispatchId: a.dispatchId,
          worker: a.worker,
          state: a.outcome,
          since: a.startedAt ?? a.dispatchedAt,
        });
      }
    }
  }
  return {
    rows,
    approvals: runs.reduce((n, r) => n + r.waiting.approvals, 0),
    indeterminate: runs.reduce((n, r) => n + r.waiting.indeterminate, 0),
  };
};

const deployment = async (client: LilyClient, live: boolean): Promise<DeploymentDoc> => {
  const [status, work, refused] = await Promise.all([
    client.deployment.status(),
    inFlight(client),
    client.deployment.refusals({ limit: 50 }),
  ]);
  return {
    up: status.up,
    healthy: status.healthy,
    namespace: status.namespace,
    nats: status.nats,
    processes: status.processes.map(({ details: _d, ...p }) => p),
    inFlight: work.rows,
    waiting: { approvals: work.approvals, indeterminate: work.indeterminate },
    refusals: { total: refused.total, recent: refused.refusals },
    live,
  };
};

export const deploymentRoutes: Route[] = [
  { method: 'GET', path: '/api/deployment', handle: ({ client, live }) => deployment(client, live) },
];
