import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { formatDuration, formatTime } from '../../model/format.js';
import { buildTimeline } from '../../model/timeline.js';
import type { ReplayDoc, RunDetail, RunEvents, RunGraphDoc, WireEvent } from '../../model/wire.js';
import { type ApiFailure, get, post } from '../api.js';
import { ApprovalDialog, CancelDialog, RerunDialog, ResolveDialog } from '../components/actions.js';
import { StatusBadge } from '../components/badge.js';
import { ErrorBox, Loading } from '../components/error-box.js';
import { GraphView } from '../components/graph-view.js';
import { TimelineChart } from '../components/timeline-chart.js';
import { useNow, useResource } from '../hooks.js';
import { html } from '../html.js';
import { useLiveReload } from '../live.js';
import { Link } from '../router.js';
import { History } from './run-history.js';
import { ArtifactsView, ReceiptView } from './run-receipt.js';
import { StepList } from './run-steps.js';

type Tab = 'timeline' | 'graph' | 'history' | 'receipt' | 'artifacts';
const TABS: [Tab, string][] = [
  ['timeline', 'Timeline'],
  ['graph', 'Graph'],
  ['history', 'History'],
  ['receipt', 'Receipt'],
  ['artifacts', 'Artifacts'],
];

type Dialog =
  | { kind: 'cancel' }
  | { kind: 'rerun'; fromStep?: string }
  | { kind: 'resolve'; dispatchId: string }
  | { kind: 'approval'; approvalId: string; decision: 'grant' | 'deny' };

/** The run's events, read from the log and extended from the last seq on each reload (the log only grows). */
const useRunEvents = (runId: string) => {
  const [state, setState] = useState<{ runId: string; events: WireEvent[]; error?: ApiFailure }>({
    runId,
    events: [],
  });
  const last = useRef<{ runId: string; seq: number }>({ runId, seq: 0 });
  const busy = useRef(false);
  const again = useRef(false);
  const reload = useCallback(async () => {
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    try {
      do {
        again.current = false;
        const from = last.current.runId === runId ? last.current.seq + 1 : 1;
        const { events } = await get<RunEvents>(`/api/runs/${runId}/events?fromSeq=${from}`);
        const known = last.current.runId === runId ? last.current.seq : 0;
        const fresh = events.filter((e) => e.seq > known);
        last.current = { runId, seq: fresh.at(-1)?.seq ?? known };
        setState((s) => ({ runId, events: [...(s.runId === runId ? s.events : []), ...fresh] }));
      } while (again.current);
    } catch (e) {
      setState((s) => ({ ...s, error: e as ApiFailure }));
    } finally {
      busy.current = false;
    }
  }, [runId]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { events: state.runId === runId ? state.events : [], error: state.error, reload };
};

const Header = (p: { detail: RunDetail; now: number }) => {
  const r = p.detail.receipt;
  const running = r.status === 'running' || r.status === 'requested';
  const duration =
    r.timestamps.durationMs ?? (r.timestamps.requestedAt ? p.now - r.timestamps.requestedAt : null);
  return html`<dl class="run-facts">
    <div><dt>Job</dt><dd>${r.jobId ? html`<${Link} href=${`/jobs/${r.jobId}`}>${r.jobId}</${Link}>` : '—'}</dd></div>
    <div><dt>Trigger</dt><dd>${String(r.trigger?.kind ?? '—')}</dd></div>
    <div><dt>Started (UTC)</dt><dd>${formatTime(r.timestamps.requestedAt)}</dd></div>
    <div><dt>Ended (UTC)</dt><dd>${formatTime(r.timestamps.completedAt)}</dd></div>
    <div><dt>Duration</dt><dd>${formatDuration(duration)}${running ? '…' : ''}</dd></div>
    <div><dt>Steps</dt><dd>${p.detail.steps.ok}/${p.detail.steps.total} succeeded</dd></div>
    ${
      r.parent
        ? html`<div><dt>${r.parent.fromStep ? `Fork (from ${r.parent.fromStep}) of` : 'Re-run of'}</dt><dd><${Link} href=${`/runs/${r.parent.runId}`} class="mono">${r.parent.runId}</${Link}></dd></div>`
        : null
    }
    ${
      p.detail.children.length > 0
        ? html`<div><dt>Re-runs</dt><dd>${p.detail.children.map((c) => html`<${Link} href=${`/runs/${c.runId}`} class="mono">${c.runId}</${Link}> `)}</dd></div>`
        : null
    }
  </dl>`;
};

const ReplayResult = (p: { doc: ReplayDoc }) =>
  p.doc.verified
    ? html`<p class="ok-box" role="status">
        Replay verified: ${p.doc.events} events (${p.doc.inbound} inbound) folded through plan ${p.doc.planHash?.slice(0, 12)} reach${' '}
        <strong>${p.doc.status}</strong>, as recorded; every recorded command matches (${p.doc.ms} ms).
      </p>`
    : html`<div class="error-box" role="alert"><strong>Replay diverged</strong> ${p.doc.error ? html`<code>${p.doc.error.code}</code><div>${p.doc.error.message}</div><pre class="json">${JSON.stringify(p.doc.error.data, null, 2)}</pre>` : html`<div>the replay reached ${p.doc.status}, the log recorded ${p.doc.recordedStatus}</div>`}</div>`;

/** One run: header, actions, and the timeline, graph, history, receipt and artifacts, all live. */
export const RunPage = (p: { runId: string }) => {
  const [tab, setTab] = useState<Tab>('timeline');
  const [selected, setSelected] = useState<number | null>(null);
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [replay, setReplay] = useState<{ busy: boolean; doc?: ReplayDoc; error?: ApiFailure }>({
    busy: false,
  });
  const detail = useResource(() => get<RunDetail>(`/api/runs/${p.runId}`), p.runId);
  const graph = useResource(() => get<RunGraphDoc>(`/api/runs/${p.runId}/graph`), p.runId);
  const events = useRunEvents(p.runId);
  const reloadAll = () => {
    detail.reload();
    graph.reload();
    void events.reload();
  };
  useLiveReload(reloadAll, (n) => n.runId === p.runId);
  const status = detail.data?.receipt.status;
  const running = status === 'running' || status === 'requested';
  const now = useNow(500, running);
  if (detail.error && !detail.data) {
    return html`<main id="main"><h1 class="mono">${p.runId}</h1><${ErrorBox} error=${detail.error} title="Could not read the run" /></main>`;
  }
  if (!detail.data) return html`<main id="main"><${Loading} what="the run" /></main>`;
  const d = detail.data;
  const timeline = buildTimeline(events.events, now);
  const select = (seq: number) => {
    setSelected(seq);
    setTab('history');
  };
  const verify = async () => {
    setReplay({ busy: true });
    try {
      setReplay({ busy: false, doc: await post<ReplayDoc>(`/api/runs/${p.runId}/replay`) });
    } catch (e) {
      setReplay({ busy: false, error: e as ApiFailure });
    }
  };
  const close = () => setDialog(null);
  const actions = {
    rerunFrom: (stepId: string) => setDialog({ kind: 'rerun', fromStep: stepId }),
    resolve: (dispatchId: string) => setDialog({ kind: 'resolve', dispatchId }),
    answer: (approvalId: string, decision: 'grant' | 'deny') =>
      setDialog({ kind: 'approval', approvalId, decision }),
  };
  return html`<main id="main">
    <div class="page-head">
      <h1><span class="muted">Run</span> <span class="mono">${p.runId}</span></h1>
      <${StatusBadge} status=${d.receipt.status} />
      <div class="spacer"></div>
      <div class="toolbar" role="toolbar" aria-label="Run actions">
        <button type="button" onClick=${verify} disabled=${replay.busy}>${replay.busy ? 'Replaying…' : 'Replay & verify'}</button>
        <button type="button" onClick=${() => setDialog({ kind: 'rerun' })} disabled=${status === 'requested'}>Rerun…</button>
        ${running ? html`<button type="button" class="danger" onClick=${() => setDialog({ kind: 'cancel' })}>Cancel run…</button>` : null}
      </div>
    </div>
    <${Header} detail=${d} now=${now} />
    ${replay.doc ? html`<${ReplayResult} doc=${replay.doc} />` : null}
    <${ErrorBox} error=${replay.error} title="Replay failed" />
    ${d.receipt.error ? html`<p class="err-text run-error"><code>${d.receipt.error.code}</code> ${d.receipt.error.message}</p>` : null}
    <div class="tabs" role="tablist" aria-label="Run views">
      ${TABS.map(
        ([id, label]) =>
          html`<button type="button" role="tab" id=${`tab-${id}`} aria-selected=${tab === id} aria-controls="run-panel" onClick=${() => setTab(id)}>${label}${id === 'history' ? ` (${events.events.length})` : id === 'artifacts' ? ` (${d.receipt.artifacts.length})` : ''}</button>`,
      )}
    </div>
    <section id="run-panel" role="tabpanel" aria-labelledby=${`tab-${tab}`}>
      <${ErrorBox} error=${events.error} title="Could not read the events" />
      ${
        tab === 'timeline'
          ? html`<${TimelineChart} timeline=${timeline} now=${now} onSelect=${select} />
            <h2 class="section">Steps</h2>
            <${StepList} receipt=${d.receipt} graph=${graph.data?.graph?.steps ?? null} plan=${d.plan.map((s) => s.id)} actions=${actions} />`
          : null
      }
      ${tab === 'graph' ? (graph.data?.graph ? html`<${GraphView} graph=${graph.data.graph} />` : html`<p class="empty">The run has not started: no plan is pinned yet.</p>`) : null}
      ${tab === 'history' ? html`<${History} events=${events.events} selected=${selected} />` : null}
      ${tab === 'receipt' ? html`<${ReceiptView} detail=${d} />` : null}
      ${tab === 'artifacts' ? html`<${ArtifactsView} artifacts=${d.receipt.artifacts} />` : null}
    </section>
    ${dialog?.kind === 'cancel' ? html`<${CancelDialog} runId=${p.runId} onClose=${close} onDone=${reloadAll} />` : null}
    ${
      dialog?.kind === 'rerun'
        ? html`<${RerunDialog} runId=${p.runId} steps=${d.plan.map((s) => s.id)} fromStep=${dialog.fromStep} input=${d.receipt.input} onClose=${close} />`
        : null
    }
    ${dialog?.kind === 'resolve' ? html`<${ResolveDialog} runId=${p.runId} dispatchId=${dialog.dispatchId} onClose=${close} onDone=${reloadAll} />` : null}
    ${
      dialog?.kind === 'approval'
        ? html`<${ApprovalDialog} approvalId=${dialog.approvalId} decision=${dialog.decision} onClose=${close} onDone=${reloadAll} />`
        : null
    }
  </main>`;
};
