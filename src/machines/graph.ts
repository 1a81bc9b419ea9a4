import { getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { canonicalJson, type EventData, hashJson } from '../contracts/index.js';
import { type EnvironmentOptions, possibleEvents } from './environment.js';
import { MACHINE_VERSION } from './machine-version.js';
import type { RunProgram } from './program.js';
import { statusesFor } from './program-index.js';
import type { RunEvent, RunState } from './types.js';

export interface GraphOptions extends EnvironmentOptions {
  /** Most states to explore (default 20,000); the report says when it stopped early. */
  readonly limit?: number;
}

export interface ReachabilityReport {
  readonly states: number;
  readonly truncated: boolean;
  /** Machine state node ids never reached (`run.running.<step>.<status>`, ...). */
  readonly unreachable: readonly string[];
  /** Serialized non-final states with no possible next event (should be empty). */
  readonly deadEnds: number;
  /** True when some path can loop forever (a cycle in the state graph). */
  readonly cyclic: boolean;
  /** Final states reached. */
  readonly finals: readonly string[];
  /** Every state reachable, every path ends in a final state within the plan's bounds. */
  readonly ok: boolean;
}

/** The synthetic run.started the model begins with (time 0, the program's own hash, today's semantics). */
export const modelStart = (program: RunProgram): RunEvent => {
  const data: EventData<'run.started'> = {
    runId: 'model',
    jobId: 'model',
    blueprint: program.plan.blueprint,
    bindings: {},
    plan: {},
    planHash: program.planHash,
    input: {},
    inputHash: hashJson({}),
    dryRun: false,
    kernelVersion: 'model',
    env: {},
    principal: 'model',
    // The semantics the engine starts new runs under (machine-version.ts).
    machine: MACHINE_VERSION,
  };
  return { type: 'run.started', at: 0, data };
};

const traversal = (program: RunProgram, options: GraphOptions) => {
  const start = modelStart(program);
  return {
    events: (snapshot: { context: { run: RunState | undefined } }) =>
      snapshot.context.run ? possibleEvents(snapshot.context.run, 0, options) : [start],
    serializeState: (snapshot: { value: unknown; context: { run: RunState | undefined } }) =>
      canonicalJson({ value: snapshot.value, run: snapshot.context.run ?? null }),
    serializeEvent: (event: RunEvent) => canonicalJson(event),
    limit: options.limit ?? 20_000,
  };
};

interface AdjacencyNode {
  state: { value: unknown; status: string; context: { run: RunState | undefined } };
  transitions: Record<string, { state: { value: unknown; context: { run: RunState | undefined } } }>;
}

const leafIds = (program: RunProgram): string[] => [
  'run.pending',
  'run.succeeded',
  'run.failed',
  'run.cancelled',
  ...program.plan.steps.flatMap((s) =>
    statusesFor(s)
      // A step with no needs is entered when the run starts: only a gates-only fork skips it.
      .filter((status) => status !== 'skipped' || s.needs.length > 0 || s.start === 'route')
      .map((status) => `run.running.${s.id}.${status}`),
  ),
];

/**
 * State node ids a snapshot has been through: its value, plus every step's status from the
 * context (a step's last status survives in context when the run ends in the same event) and
 * `waiting` (every region is entered there when the run starts).
 */
const idsOf = (value: unknown, run: RunState | undefined): string[] => {
  const ids = typeof value === 'string' ? [`run.${value}`] : [];
  if (run)
    for (const [id, step] of Object.entries(run.steps))
      ids.push(`run.running.${id}.${step.status}`, `run.running.${id}.waiting`);
  return ids;
};

/**
 * Explores the compiled machine with xstate/graph against a bounded model of the world
 * (every answer to every outstanding command, see `possibleEvents`) and reports which states
 * are reachable, dead ends, cycles, and the final states reached.
 */
export const checkReachability = (program: RunProgram, options: GraphOptions = {}): ReachabilityReport => {
  const t = traversal(program, options);
  // biome-ignore lint/suspicious/noExplicitAny: xstate/graph's option types are generic over the machine.
  const map = getAdjacencyMap(program.machine, t as any) as unknown as Record<string, AdjacencyNode>;
  const keys = Object.keys(map);
  const seen = new Set<string>();
  const finals = new Set<string>();
  let deadEnds = 0;
  for (const key of keys) {
    const node = map[key] as AdjacencyNode;
    for (const id of idsOf(node.state.value, node.state.context.run)) seen.add(id);
    const done = node.state.status === 'done';
    if (done) finals.add(String(node.state.value));
    if (!done && Object.keys(node.transitions).length === 0) deadEnds++;
  }
  const cyclic = hasCycle(keys, (k) =>
    Object.values(map[k]?.transitions ?? {}).map((tr) => t.serializeState(tr.state)),
  );
  const unreachable = leafIds(program).filter((id) => !seen.has(id));
  const truncated = keys.length >= t.limit;
  return {
    states: keys.length,
    truncated,
    unreachable,
    deadEnds,
    cyclic,
    finals: [...finals].sort(),
    ok: !truncated && unreachable.length === 0 && deadEnds === 0 && !cyclic,
  };
};

const hasCycle = (keys: readonly string[], next: (k: string) => string[]): boolean => {
  const color = new Map<string, 1 | 2>();
  for (const root of keys) {
    if (color.has(root)) continue;
    const stack: [string, string[]][] = [[root, next(root)]];
    color.set(root, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [string, string[]];
      const child = top[1].pop();
      if (child === undefined) {
        color.set(top[0], 2);
        stack.pop();
      } else if (color.get(child) === 1) return true;
      else if (!color.has(child)) {
        color.set(child, 1);
        stack.push([child, next(child)]);
      }
    }
  }
  return false;
};

/** The shortest event sequence reaching each final state (`succeeded`, `failed`, `cancelled`). */
export const shortestPathsToFinals = (
  program: RunProgram,
  options: GraphOptions = {},
): Record<string, string[]> => {
  const t = traversal(program, options);
  const options_ = { ...t, toState: (s: { status: string }) => s.status === 'done' };
  const paths = getShortestPaths(
    program.machine,
    options_ as unknown as Parameters<typeof getShortestPaths>[1],
  );
  const best: Record<string, string[]> = {};
  for (const path of paths) {
    const final = String(path.state.value);
    const events = path.steps
      .map((s) => (s.event as RunEvent).type)
      .filter((type) => !type.startsWith('xstate.'));
    const current = best[final];
    if (!current || events.length < current.length) best[final] = events;
  }
  return best;
};
