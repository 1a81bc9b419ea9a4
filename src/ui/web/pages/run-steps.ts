import { formatDuration } from '../../model/format.js';
import type { GraphStep, WireAttempt, WireReceipt } from '../../model/wire.js';
import { StatusBadge } from '../components/badge.js';
import { html } from '../html.js';

export interface StepActions {
  rerunFrom(stepId: string): void;
  resolve(dispatchId: string): void;
  answer(approvalId: string, decision: 'grant' | 'deny'): void;
}

const Attempt = (p: { a: WireAttempt; onResolve: (id: string) => void; canResolve: boolean }) =>
  html`<li>
    <span class="mono">#${p.a.attempt}${p.a.shard ? ` [${p.a.shard}]` : ''}</span>
    <${StatusBadge} status=${p.a.outcome} />
    ${p.a.worker ? html`<span class="muted">worker ${p.a.worker}</span>` : null}
    <span>${formatDuration(p.a.durationMs)}</span>
    ${p.a.error ? html`<span class="err-text" title=${p.a.error.message}>${p.a.error.code}: ${p.a.error.message}</span>` : null}
    ${
      p.canResolve && (p.a.outcome === 'indeterminate' || p.a.outcome === 'timed_out')
        ? html`<button type="button" onClick=${() => p.onResolve(p.a.dispatchId)}>Resolve…</button>`
        : null
    }
  </li>`;

/**
 * The compact view: each step of the plan with its machine state, its attempts (worker,
 * duration, error), and what an operator can do about it (approve, resolve, re-run from it).
 */
export const StepList = (p: {
  receipt: WireReceipt;
  graph: GraphStep[] | null;
  plan: string[];
  actions: StepActions;
}) => {
  const running = p.receipt.status === 'running' || p.receipt.status === 'requested';
  const ids = p.plan.length > 0 ? p.plan : p.receipt.steps.map((s) => s.stepId);
  return html`<table class="grid steps-table">
    <caption class="sr-only">Steps</caption>
    <thead><tr><th scope="col">Step</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Time</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
    <tbody>
      ${ids.map((id) => {
        const r = p.receipt.steps.find((s) => s.stepId === id);
        const g = p.graph?.find((s) => s.id === id);
        const approvals = p.receipt.approvals.filter((a) => a.stepId === id && a.status === 'pending');
        return html`<tr key=${id} data-step=${id}>
          <th scope="row" class="mono">${id}${g?.memoized ? html` <span class="pill">reused</span>` : null}</th>
          <td><${StatusBadge} status=${g?.state ?? r?.status ?? 'pending'} title=${r ? `receipt: ${r.status}` : undefined} /></td>
          <td>
            <ul class="attempts">
              ${(r?.attempts ?? []).map((a) => html`<${Attempt} a=${a} canResolve=${running} onResolve=${p.actions.resolve} />`)}
              ${(r?.gates ?? []).map((gt) => html`<li><span class="mono">gate ${gt.gateId}</span> <${StatusBadge} status=${gt.outcome} />${gt.error ? html` <span class="err-text">${gt.error.message}</span>` : null}</li>`)}
            </ul>
          </td>
          <td>${r ? formatDuration(r.durationMs) : '—'}${r?.sloBreached ? html` <span class="pill pill-unknown" title=${`SLO ${formatDuration(r.timeoutMs)}`}>SLO breached</span>` : null}</td>
          <td class="actions">
            ${approvals.map(
              (
                a,
              ) => html`<button type="button" class="primary" onClick=${() => p.actions.answer(a.approvalId, 'grant')}>Approve ${id}</button>
                <button type="button" onClick=${() => p.actions.answer(a.approvalId, 'deny')}>Deny ${id}</button>`,
            )}
            ${p.receipt.status !== 'requested' ? html`<button type="button" class="link" onClick=${() => p.actions.rerunFrom(id)}>Rerun from ${id}</button>` : null}
          </td>
        </tr>`;
      })}
    </tbody>
  </table>`;
};
