import type { LilyClient } from '../../client/index.js';
import { LilyError } from '../../contracts/errors.js';
import type { Json } from '../../contracts/json.js';
import type { ActionResult, ApprovalList, Preview } from '../model/wire.js';
import { optionalBoolean, optionalObject, optionalString, requiredString } from './params.js';
import { approvalPreview, cancelPreview, rerunPreview, resolvePreview } from './previews.js';
import type { Route } from './router.js';

const rerunOptions = (body: Record<string, unknown>) => {
  const fromStep = optionalString(body, 'fromStep');
  const gatesOnly = optionalBoolean(body, 'gatesOnly');
  const input = optionalObject(body, 'input');
  return {
    ...(fromStep !== undefined ? { fromStep } : {}),
    ...(gatesOnly ? { gatesOnly } : {}),
    ...(input !== undefined ? { input } : {}),
  };
};

const outcomeOf = (body: Record<string, unknown>): 'succeeded' | 'failed' => {
  const outcome = requiredString(body, 'outcome');
  if (outcome !== 'succeeded' && outcome !== 'failed') {
    throw new LilyError('usage_invalid', 'outcome: succeeded or failed', {
      reason: 'invalidArgument',
      option: 'outcome',
    });
  }
  return outcome;
};

/** The approval with this id (any status), or `approval_not_found`. */
const findApproval = async (client: LilyClient, id: string) => {
  const found = (await client.approvals.list({ all: true })).find((a) => a.approvalId === id);
  if (!found) throw new LilyError('approval_not_found', `no approval ${id}`, { approvalId: id });
  return found;
};

/** The command (or executor config) the step of an approval will run, from the run's pinned plan. */
const stepCommand = async (client: LilyClient, runId: string, stepId: string): Promise<Json> => {
  const events = await client.runs.get(runId).events();
  const started = events.find((e) => e.type === 'run.started');
  const steps = (
    started?.data as { plan?: { steps?: { id: string; with?: Record<string, Json> }[] } } | undefined
  )?.plan?.steps;
  const w = steps?.find((s) => s.id === stepId)?.with;
  return w?.argv ?? w ?? null;
};

const cancelRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/runs/:id/cancel/preview',
    handle: async ({ client, params, body, identity }): Promise<Preview> => {
      const { receipt } = await client.runs.get(params.id ?? '').describe();
      return cancelPreview(receipt, identity, optionalString(body, 'reason'));
    },
  },
  {
    method: 'POST',
    path: '/api/runs/:id/cancel',
    handle: async ({ client, params, body }): Promise<ActionResult> => {
      const reason = optionalString(body, 'reason');
      const r = await client.runs.get(params.id ?? '').cancel(reason !== undefined ? { reason } : {});
      return { ok: true, message: `cancel of run ${r.runId} requested by ${r.by}`, data: { ...r } };
    },
  },
];

const rerunRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/runs/:id/rerun/preview',
    handle: async ({ client, params, body }): Promise<Preview> =>
      rerunPreview(await client.runs.get(params.id ?? '').previewRerun(rerunOptions(body))),
  },
  {
    method: 'POST',
    path: '/api/runs/:id/rerun',
    handle: async ({ client, params, body }): Promise<ActionResult> => {
      const child = await client.runs.get(params.id ?? '').rerun(rerunOptions(body));
      return {
        ok: true,
        runId: child.runId,
        message: `run ${child.runId} started`,
        data: { runId: child.runId },
      };
    },
  },
];

const resolveRoutes: Route[] = [
  {
    method: 'POST',
    path: '/api/runs/:id/resolve/preview',
    handle: async ({ client, params, body }): Promise<Preview> => {
      const handle = client.runs.get(params.id ?? '');
      const [{ receipt }, graph] = await Promise.all([handle.describe(), handle.graph()]);
      return resolvePreview(receipt, graph, requiredString(body, 'dispatchId'), outcomeOf(body));
    },
  },
  {
    method: 'POST',
    path: '/api/runs/:id/resolve',
    handle: async ({ client, params, body }): Promise<ActionResult> => {
      const outcome = outcomeOf(body);
      const dispatchId = requiredString(body, 'dispatchId');
      const answer =
        outcome === 'succeeded'
          ? { outcome, output: (optionalObject(body, 'output') ?? {}) as Json }
          : { outcome, reason: requiredString(body, 'reason') };
      const r = await client.runs.get(params.id ?? '').resolve(dispatchId, answer);
      return {
        ok: true,
        message: r.recorded
          ? `${r.answer} recorded for ${r.dispatchId}`
          : `${r.answer} sent for ${r.dispatchId}; the engine has not recorded it yet`,
        data: { ...r },
      };
    },
  },
];

const approvalRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/approvals',
    handle: async ({ client, query }): Promise<ApprovalList> => ({
      approvals: await client.approvals.list({ all: query.get('all') === '1' }),
    }),
  },
  {
    method: 'POST',
    path: '/api/approvals/:id/preview',
    handle: async ({ client, params, body }): Promise<Preview> => {
      const decision = requiredString(body, 'decision');
      if (decision !== 'grant' && decision !== 'deny') {
        throw new LilyError('usage_invalid', 'decision: grant or deny', {
          reason: 'invalidArgument',
          option: 'decision',
        });
      }
      const approval = await findApproval(client, params.id ?? '');
      const runId = approval.runId;
      const graph = runId === undefined ? null : await client.runs.get(runId).graph();
      const command = runId === undefined ? null : await stepCommand(client, runId, approval.stepId);
      return approvalPreview(approval, graph, command, decision);
    },
  },
  {
    method: 'POST',
    path: '/api/approvals/:id/grant',
    handle: async ({ client, params, body }): Promise<ActionResult> => {
      const comment = optionalString(body, 'comment');
      const r = await client.approvals.grant(params.id ?? '', comment !== undefined ? { comment } : {});
      return {
        ok: true,
        ...(r.approval.runId !== undefined ? { runId: r.approval.runId } : {}),
        message: `approval ${r.approval.approvalId} granted by ${r.approval.by}${r.delivered ? '' : ' (no engine is running: the run gets it when one starts)'}`,
        data: { ...r.approval, delivered: r.delivered },
      };
    },
  },
  {
    method: 'POST',
    path: '/api/approvals/:id/deny',
    handle: async ({ client, params, body }): Promise<ActionResult> => {
      const r = await client.approvals.deny(params.id ?? '', { reason: requiredString(body, 'reason') });
      return {
        ok: true,
        ...(r.approval.runId !== undefined ? { runId: r.approval.runId } : {}),
        message: `approval ${r.approval.approvalId} denied by ${r.approval.by}`,
        data: { ...r.approval, delivered: r.delivered },
      };
    },
  },
];

export const actionRoutes: Route[] = [...cancelRoutes, ...rerunRoutes, ...resolveRoutes, ...approvalRoutes];
