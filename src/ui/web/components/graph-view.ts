import { useState } from 'preact/hooks';
import { type LayoutEdge, type LayoutNode, layered } from '../../model/layout.js';
import type { GraphStep, RunGraphDoc } from '../../model/wire.js';
import { html } from '../html.js';

type Graph = NonNullable<RunGraphDoc['graph']>;

const NODE_W = 168;
const NODE_H = 46;
const TERMINALS: Record<string, string> = { $end: 'end', $fail: 'fail' };

/** The plan: steps (coloured by their machine state), needs (solid), routes (dashed, labelled). */
const PlanGraph = (p: { graph: Graph; selected: string; onSelect: (id: string) => void }) => {
  const steps = p.graph.steps;
  const targets = [...new Set(steps.flatMap((s) => s.routes.map((r) => r.to)).filter((t) => t in TERMINALS))];
  const nodes: LayoutNode[] = [
    ...steps.map((s) => ({ id: s.id, width: NODE_W, height: NODE_H })),
    ...targets.map((t) => ({ id: t, width: 56, height: 28 })),
  ];
  const needs: LayoutEdge[] = steps.flatMap((s) => s.needs.map((n) => ({ from: n, to: s.id })));
  const routes = steps.flatMap((s) => s.routes.map((r) => ({ from: s.id, to: r.to, on: r.on })));
  const layout = layered(nodes, [...needs, ...routes]);
  const byId = new Map(steps.map((s) => [s.id, s]));
  const isRoute = (e: LayoutEdge) => routes.find((r) => r.from === e.from && r.to === e.to);
  return html`<svg class="graph" width=${layout.width} height=${layout.height} role="group" aria-label="Plan graph: steps and their state">
    <defs>
      <marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M0,0 L8,4 L0,8 z" class="arrowhead" />
      </marker>
    </defs>
    ${layout.edges.map((e) => {
      const route = isRoute(e);
      return html`<g class=${route ? 'gedge route' : 'gedge'}>
        <path d=${e.path} marker-end="url(#arrow)" />
        ${route ? html`<text x=${e.labelAt.x} y=${e.labelAt.y - 3} text-anchor="middle">${route.on}</text>` : null}
      </g>`;
    })}
    ${layout.nodes.map((n) => {
      const s = byId.get(n.id);
      if (!s) {
        return html`<g class="gterm"><rect x=${n.x} y=${n.y} width=${n.width} height=${n.height} rx="14" /><text x=${n.x + n.width / 2} y=${n.y + 18} text-anchor="middle">${TERMINALS[n.id]}</text></g>`;
      }
      const label = `step ${s.id}, ${s.executor}, ${s.state.replace('_', ' ')}${s.memoized ? ', reused from the parent run' : ''}`;
      return html`<g
        class=${`gnode st-${s.state}${p.selected === s.id ? ' selected' : ''}`}
        role="button"
        tabindex="0"
        aria-label=${label}
        aria-pressed=${p.selected === s.id}
        onClick=${() => p.onSelect(s.id)}
        onKeyDown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && p.onSelect(s.id)}
      >
        <title>${label}</title>
        <rect x=${n.x} y=${n.y} width=${n.width} height=${n.height} rx="6" />
        <text class="gid" x=${n.x + 10} y=${n.y + 19}>${s.id}${s.partition ? ' ⫶' : ''}${s.approval ? ' ✋' : ''}</text>
        <text class="gsub" x=${n.x + 10} y=${n.y + 36}>${s.executor} · ${s.state.replace('_', ' ')}${s.attempt > 1 ? ` #${s.attempt}` : ''}</text>
      </g>`;
    })}
  </svg>`;
};

/** One step's region of the run machine: its states and edges, the current state highlighted. */
const LifecycleGraph = (p: { step: GraphStep }) => {
  const s = p.step;
  const nodes = s.states.map((st) => ({ id: st, width: Math.max(76, st.length * 7.4 + 22), height: 28 }));
  const layout = layered(nodes, s.edges, { gapX: 64, gapY: 14 });
  const labelOf = new Map(s.edges.map((e) => [`${e.from}>${e.to}`, e.label]));
  return html`<svg class="graph lifecycle" width=${layout.width} height=${layout.height} role="img"
    aria-label=${`The machine region of step ${s.id}: current state ${s.state}`}>
    <defs>
      <marker id="arrow2" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
        <path d="M0,0 L8,4 L0,8 z" class="arrowhead" />
      </marker>
    </defs>
    ${layout.edges.map(
      (e) => html`<g class=${e.back ? 'gedge back' : 'gedge'}>
        <title>${labelOf.get(`${e.from}>${e.to}`)}</title>
        <path d=${e.path} marker-end="url(#arrow2)" />
      </g>`,
    )}
    ${layout.nodes.map(
      (n) => html`<g class=${`lstate${n.id === s.state ? ' current' : ''}`}>
        <rect x=${n.x} y=${n.y} width=${n.width} height=${n.height} rx="14" />
        <text x=${n.x + n.width / 2} y=${n.y + 18} text-anchor="middle">${n.id.replace('_', ' ')}</text>
      </g>`,
    )}
  </svg>`;
};

/** The run's machine: the plan graph, and the selected step's region with its current state. */
export const GraphView = (p: { graph: Graph }) => {
  const active = p.graph.steps.find((s) => !['waiting', 'succeeded', 'skipped'].includes(s.state));
  const [selected, setSelected] = useState(active?.id ?? p.graph.steps[0]?.id ?? '');
  const step = p.graph.steps.find((s) => s.id === selected);
  return html`<div class="graphs">
    <p class="muted">
      Machine status <strong>${p.graph.status}</strong>, plan <span class="mono">${p.graph.planHash.slice(0, 12)}</span>. Select a step to see its
      region of the run machine.
    </p>
    <div class="scroll-x"><${PlanGraph} graph=${p.graph} selected=${selected} onSelect=${setSelected} /></div>
    ${
      step
        ? html`<h3>Step ${step.id}: <span class=${`badge st-${step.state}`}>${step.state.replace('_', ' ')}</span></h3>
          <div class="facts">
            ${step.needs.length > 0 ? html`<span>needs ${step.needs.join(', ')}</span>` : html`<span>no needs</span>`}
            ${step.gates.length > 0 ? html`<span>gates ${step.gates.map((g) => `${g.id}${g.required ? '' : ' (optional)'}${step.gateStates[g.id] ? `: ${step.gateStates[g.id]}` : ''}`).join(', ')}</span>` : null}
            ${step.approval ? html`<span>approval: ${step.approval}</span>` : null}
            ${step.partition ? html`<span>partition ${step.partition.partitioner} ×${step.partition.concurrency} (${step.partition.mode})</span>` : null}
            ${step.shards.length > 0 ? html`<span>shards ${step.shards.map((sh) => `${sh.key}: ${sh.status}`).join(', ')}</span>` : null}
            <span>${step.idempotent ? 'idempotent' : 'not idempotent'}</span>
            <span>visits ${step.visits}, attempt ${step.attempt}</span>
          </div>
          <div class="scroll-x"><${LifecycleGraph} step=${step} /></div>`
        : null
    }
  </div>`;
};
