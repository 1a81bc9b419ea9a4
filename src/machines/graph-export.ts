import type { PlanStep } from '../blueprints/plan.js';
import type { RunProgram } from './program.js';
import { statusesFor } from './program-index.js';
import type { StepStatus } from './types.js';

/** The lifecycle edges of a step region, labelled with what moves the step (drawn only when both ends exist). */
const LIFECYCLE: readonly [StepStatus, StepStatus, string][] = [
  ['waiting', 'policy_check', 'needs met / routed'],
  ['waiting', 'skipped', 'not reached'],
  ['policy_check', 'awaiting_approval', 'approval required'],
  ['policy_check', 'partitioning', 'allow'],
  ['policy_check', 'dispatched', 'allow'],
  ['policy_check', 'failed', 'deny'],
  ['awaiting_approval', 'partitioning', 'granted'],
  ['awaiting_approval', 'dispatched', 'granted'],
  ['awaiting_approval', 'failed', 'denied'],
  ['partitioning', 'dispatched', 'partition.planned'],
  ['dispatched', 'gating', 'succeeded'],
  ['dispatched', 'succeeded', 'succeeded'],
  ['dispatched', 'retry_wait', 'failed (retryable) / timed out'],
  ['dispatched', 'failed', 'failed / timed out'],
  ['dispatched', 'indeterminate', 'in flight at crash'],
  ['dispatched', 'cancelled', 'run ended'],
  ['retry_wait', 'dispatched', 'timer.fired'],
  ['gating', 'succeeded', 'gates passed'],
  ['gating', 'failed', 'required gate failed'],
  ['indeterminate', 'succeeded', 'operator: succeeded'],
  ['indeterminate', 'failed', 'operator: failed'],
  ['succeeded', 'policy_check', 'routed again'],
  ['failed', 'policy_check', 'routed again'],
];

const safe = (id: string) => id.replace(/[^A-Za-z0-9_]/g, '_');

/**
 * The lifecycle edges of one step's region `[from, to, label]`, as the Mermaid and DOT exports
 * draw them (front ends that draw the machine themselves use the same edges).
 */
export const lifecycleEdges = (program: RunProgram, step: PlanStep): [StepStatus, StepStatus, string][] => {
  const present = new Set(statusesFor(step));
  const routedTo = program.plan.steps.some((s) => s.routes.some((r) => r.to === step.id));
  return LIFECYCLE.filter(
    ([from, to]) =>
      present.has(from) && present.has(to) && (from !== 'succeeded' && from !== 'failed' ? true : routedTo),
  );
};

const routeTarget = (to: string): string => (to === '$end' ? '_end' : to === '$fail' ? '_fail' : safe(to));

/** The `plan` view: a flowchart of steps, needs (solid) and routes (dashed, labelled). */
const planFlowchart = (steps: RunProgram['plan']['steps']): string => {
  const lines = ['flowchart LR'];
  for (const s of steps)
    lines.push(
      `  ${safe(s.id)}["${s.id}<br/>${s.executor}${s.partition ? ` ×${s.partition.partitioner}` : ''}"]`,
    );
  lines.push('  _end(["end"])', '  _fail(["fail"])');
  for (const s of steps) for (const n of s.needs) lines.push(`  ${safe(n)} --> ${safe(s.id)}`);
  for (const s of steps)
    for (const r of s.routes) lines.push(`  ${safe(s.id)} -. ${r.on} .-> ${routeTarget(r.to)}`);
  return `${lines.join('\n')}\n`;
};

/**
 * Mermaid for a compiled run machine. `machine` (default): a stateDiagram with one
 * concurrent region per step and its lifecycle; `plan`: a flowchart of steps, needs (solid)
 * and routes (dashed, labelled with the outcome).
 */
export const toMermaid = (program: RunProgram, view: 'machine' | 'plan' = 'machine'): string => {
  const steps = program.plan.steps;
  if (view === 'plan') return planFlowchart(steps);
  const lines = [
    'stateDiagram-v2',
    '  [*] --> pending',
    '  pending --> running: run.started',
    '  state running {',
  ];
  steps.forEach((step, i) => {
    if (i > 0) lines.push('    --');
    const p = safe(step.id);
    lines.push(`    state "${step.id}" as ${p} {`);
    for (const status of statusesFor(step)) lines.push(`      state "${status}" as ${p}__${status}`);
    lines.push(`      [*] --> ${p}__waiting`);
    for (const [from, to, label] of lifecycleEdges(program, step))
      lines.push(`      ${p}__${from} --> ${p}__${to}: ${label}`);
    lines.push('    }');
  });
  lines.push('  }');
  for (const end of ['succeeded', 'failed', 'cancelled'])
    lines.push(`  running --> ${end}`, `  ${end} --> [*]`);
  return `${lines.join('\n')}\n`;
};

/** Graphviz DOT for a compiled run machine: a cluster per step region, its lifecycle as edges. */
export const toDot = (program: RunProgram): string => {
  const lines = [
    'digraph run {',
    '  rankdir=LR;',
    '  node [shape=box, style=rounded];',
    '  pending -> running_start [label="run.started"];',
    '  running_start [shape=point];',
  ];
  for (const step of program.plan.steps) {
    const p = safe(step.id);
    lines.push(`  subgraph cluster_${p} {`, `    label="${step.id} (${step.executor})";`);
    for (const status of statusesFor(step)) lines.push(`    ${p}__${status} [label="${status}"];`);
    for (const [from, to, label] of lifecycleEdges(program, step))
      lines.push(`    ${p}__${from} -> ${p}__${to} [label="${label}"];`);
    lines.push('  }', `  running_start -> ${p}__waiting [style=dotted];`);
    for (const need of step.needs)
      lines.push(`  ${safe(need)}__succeeded -> ${p}__waiting [style=dashed, label="needs"];`);
  }
  for (const end of ['succeeded', 'failed', 'cancelled'])
    lines.push(`  ${end} [shape=doublecircle];`, `  running_start -> ${end} [style=invis];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
};
