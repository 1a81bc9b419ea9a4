import type { Plan } from './plan.js';

/** Finds a cycle in a directed graph, returned as the ids along it, or undefined. */
export const findCycle = (nodes: readonly string[], edges: ReadonlyMap<string, readonly string[]>) => {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    path.push(node);
    for (const next of edges.get(node) ?? []) {
      const s = state.get(next);
      if (s === 'open') return [...path.slice(path.indexOf(next)), next];
      if (s === undefined) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of nodes) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
};

/** Edges step -> steps that may start after it: needs (dependency -> dependant) and routes. */
export const flowEdges = (plan: Plan, withRoutes: boolean): Map<string, string[]> => {
  const edges = new Map<string, string[]>(plan.steps.map((s) => [s.id, []]));
  for (const step of plan.steps) {
    for (const need of step.needs) edges.get(need)?.push(step.id);
    if (!withRoutes) continue;
    for (const route of step.routes) {
      if (route.to !== '$end' && route.to !== '$fail') edges.get(step.id)?.push(route.to);
    }
  }
  return edges;
};

/** Every step that `stepId` transitively needs. */
export const upstreamOf = (plan: Plan, stepId: string): Set<string> => {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = [...(byId.get(stepId)?.needs ?? [])];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.needs ?? []));
  }
  return seen;
};
