import type { LilyClient, RunListStatus } from '../../client/index.js';
import { isLilyError, LilyError } from '../../contracts/errors.js';
import type { Json } from '../../contracts/json.js';
import type {
  LineageDoc,
  ReplayDoc,
  RunDetail,
  RunEvents,
  RunGraphDoc,
  RunList,
  RunRow,
  WireEvent,
} from '../model/wire.js';
import { queryInt, queryString, queryTime } from './params.js';
import type { Route } from './router.js';

/** The console's runs list: newest first, filtered as the query says. */
const listRuns = async (client: LilyClient, q: URLSearchParams): Promise<RunList> => {
  const jobId = queryString(q, 'job');
  const status = queryString(q, 'status') as RunListStatus | undefined;
  const trigger = queryString(q, 'trigger');
  const from = queryTime(q, 'from');
  const to = queryTime(q, 'to');
  const runId = queryString(q, 'q');
  const limit = queryInt(q, 'limit', 1000);
  const { runs, total } = await client.runs.search({
    ...(jobId !== undefined ? { jobId } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(trigger !== undefined ? { trigger } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(runId !== undefined ? { runId } : {}),
    limit: limit ?? 100,
  });
  return { runs: runs.map(({ version: _v, ...row }): RunRow => row), total };
};

/** Re-runs and forks of `runId` among its job's runs, newest first. */
const childrenOf = async (client: LilyClient, runId: string, jobId: string | null): Promise<RunRow[]> => {
  if (jobId === null) return [];
  const { runs } = await client.runs.search({ jobId, limit: 1000 });
  return runs.filter((r) => r.parentRunId === runId).map(({ version: _v, ...row }) => row);
};

type PlanStepLike = {
  id: string;
  executor: string;
  needs?: string[];
  with?: Record<string, Json>;
  idempotent?: boolean;
};

const pinnedPlan = (events: readonly WireEvent[]): RunDetail['plan'] => {
  const started = events.find((e) => e.type === 'run.started');
  const steps = (started?.data as { plan?: { steps?: PlanStepLike[] } } | undefined)?.plan?.steps ?? [];
  return steps.map((s) => ({
    id: s.id,
    executor: s.executor,
    needs: s.needs ?? [],
    with: s.with ?? {},
    idempotent: s.idempotent !== false,
  }));
};

const runDetail = async (client: LilyClient, runId: string): Promise<RunDetail> => {
  const handle = client.runs.get(runId);
  const events = await handle.events();
  const [view, described] = await Promise.all([handle.receipt(), handle.describe()]);
  return {
    receipt: view.receipt,
    steps: described.steps,
    dir: view.dir,
    summary: view.summary,
    children: await childrenOf(client, runId, view.receipt.jobId),
    plan: pinnedPlan(events),
  };
};

const runEvents = async (client: LilyClient, runId: string, q: URLSearchParams): Promise<RunEvents> => {
  const fromSeq = queryInt(q, 'fromSeq', Number.MAX_SAFE_INTEGER) ?? 1;
  const events: WireEvent[] = await client.runs.get(runId).events();
  return { events: events.filter((e) => e.seq >= fromSeq) };
};

/** Replay-verify: a divergence is a result to show (verified false, the error), not a failed request. */
const replayVerify = async (client: LilyClient, runId: string): Promise<ReplayDoc> => {
  try {
    const r = await client.runs.get(runId).replay({ verify: true });
    return {
      verified: r.verified && r.status === r.recordedStatus,
      status: r.status,
      recordedStatus: r.recordedStatus,
      planHash: r.planHash,
      events: r.events,
      inbound: r.inbound,
      ms: r.ms,
      eventsPerSecond: r.eventsPerSecond,
    };
  } catch (e) {
    if (isLilyError(e) && (e.code === 'replay_nondeterministic' || e.code === 'replay_plan_drift')) {
      return { verified: false, error: e.toJSON() };
    }
    throw e;
  }
};

const SHA = /^[0-9a-f]{64}$/;
const sha = (raw: string): string => {
  if (!SHA.test(raw)) throw new LilyError('artifact_not_found', `${raw} is not a sha256`, { ref: raw });
  return raw;
};

export const runRoutes: Route[] = [
  { method: 'GET', path: '/api/runs', handle: ({ client, query }) => listRuns(client, query) },
  {
    method: 'GET',
    path: '/api/runs/:id',
    handle: ({ client, params }) => runDetail(client, params.id ?? ''),
  },
  {
    method: 'GET',
    path: '/api/runs/:id/events',
    handle: ({ client, params, query }) => runEvents(client, params.id ?? '', query),
  },
  {
    method: 'GET',
    path: '/api/runs/:id/graph',
    handle: async ({ client, params }): Promise<RunGraphDoc> => ({
      graph: await client.runs.get(params.id ?? '').graph(),
    }),
  },
  {
    method: 'POST',
    path: '/api/runs/:id/replay',
    handle: ({ client, params }) => replayVerify(client, params.id ?? ''),
  },
  {
    method: 'GET',
    path: '/api/artifacts/:sha/lineage',
    handle: async ({ client, params }): Promise<LineageDoc> =>
      client.artifacts.lineage(sha(params.sha ?? '')),
  },
];

/** The bytes of an artifact by sha256 (served raw by the server, never rendered as a page). */
export const artifactBytes = async (
  client: LilyClient,
  raw: string,
): Promise<{ bytes: Uint8Array; name: string; mediaType: string }> => {
  const { ref, bytes } = await client.artifacts.get(sha(raw));
  return { bytes, name: ref.name, mediaType: ref.mediaType };
};
