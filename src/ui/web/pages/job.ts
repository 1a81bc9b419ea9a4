import { useState } from 'preact/hooks';
import { formatAgo, formatTime } from '../../model/format.js';
import type { JobDetail } from '../../model/wire.js';
import { get } from '../api.js';
import { ErrorBox, Loading } from '../components/error-box.js';
import { JsonBlock } from '../components/json.js';
import { useNow, useResource } from '../hooks.js';
import { html } from '../html.js';
import { useLiveReload } from '../live.js';
import { RunJobDialog, triggerText } from './jobs.js';
import { RunsTable } from './runs.js';

/** One job: its spec, plan, schedule (next fires, recent ticks) and last runs. */
export const JobPage = (p: { jobId: string }) => {
  const job = useResource(() => get<JobDetail>(`/api/jobs/${encodeURIComponent(p.jobId)}`), p.jobId);
  const [running, setRunning] = useState(false);
  const now = useNow(10_000);
  useLiveReload(
    job.reload,
    (n) => n.type === 'run.requested' || n.type === 'run.completed' || n.stream === `job/${p.jobId}`,
  );
  if (!job.data) {
    return html`<main id="main"><h1>Job ${p.jobId}</h1><${ErrorBox} error=${job.error} title="Could not read the job" />${job.error ? null : html`<${Loading} what="the job" />`}</main>`;
  }
  const j = job.data;
  return html`<main id="main">
    <div class="page-head">
      <h1><span class="muted">Job</span> ${j.id}</h1>
      <span class="muted">${j.title ?? ''}</span>
      <div class="spacer"></div>
      ${j.valid ? html`<button type="button" class="primary" onClick=${() => setRunning(true)}>Run ${j.id}…</button>` : null}
    </div>
    ${j.planError ? html`<div class="error-box" role="alert"><code>${j.planError.code}</code> ${j.planError.message}</div>` : null}
    <dl class="run-facts">
      <div><dt>File</dt><dd class="mono">${j.file ?? '—'}</dd></div>
      <div><dt>Target</dt><dd>${j.target ? `${j.target.id}${j.target.version ? `@${j.target.version}` : ''}` : '—'}</dd></div>
      <div><dt>Trigger</dt><dd>${triggerText(j)}</dd></div>
      ${j.plan ? html`<div><dt>Plan</dt><dd><span class="mono">${j.plan.planHash.slice(0, 12)}</span>: ${j.plan.steps.map((s) => s.id).join(' → ')}</dd></div>` : null}
    </dl>
    ${
      j.next.length > 0
        ? html`<h2 class="section">Next fires</h2>
          <ul class="plain">${j.next.map((t) => html`<li>${formatTime(t)} <span class="muted">(${formatAgo(t, now)})</span></li>`)}</ul>`
        : null
    }
    ${
      j.recent.length > 0
        ? html`<h2 class="section">Recent ticks</h2>
          <table class="grid"><thead><tr><th scope="col">Scheduled (UTC)</th><th scope="col">Decision</th><th scope="col">Reason</th><th scope="col">Run</th></tr></thead>
          <tbody>${j.recent.map((t) => html`<tr><td>${formatTime(t.scheduledAt)}</td><td>${t.decision}</td><td>${t.reason ?? ''}</td><td class="mono">${t.runId ?? ''}</td></tr>`)}</tbody></table>`
        : null
    }
    <h2 class="section">Last runs</h2>
    ${j.lastRuns.length > 0 ? html`<${RunsTable} runs=${j.lastRuns} now=${now} caption=${`Last runs of ${j.id}`} />` : html`<p class="empty">No runs yet.</p>`}
    <h2 class="section">Spec (defaults filled in)</h2>
    <${JsonBlock} value=${j.spec} label="job spec" />
    ${running ? html`<${RunJobDialog} jobId=${j.id} onClose=${() => setRunning(false)} />` : null}
  </main>`;
};
