import { formatAgo, formatDuration, formatTime } from '../../model/format.js';
import type { DeploymentDoc } from '../../model/wire.js';
import { get } from '../api.js';
import { StatusBadge } from '../components/badge.js';
import { ErrorBox, Loading } from '../components/error-box.js';
import { useNow, useResource } from '../hooks.js';
import { html } from '../html.js';
import { useLiveReload } from '../live.js';
import { Link } from '../router.js';

/** The deployment: NATS, each process's health, the work in flight, refused messages. */
export const DeploymentPage = () => {
  const dep = useResource(() => get<DeploymentDoc>('/api/deployment'), 'deployment');
  const now = useNow(1000);
  useLiveReload(dep.reload, (n) => n.type.startsWith('step.') || n.type.startsWith('run.'));
  if (!dep.data)
    return html`<main id="main"><h1>Deployment</h1><${ErrorBox} error=${dep.error} />${dep.error ? null : html`<${Loading} what="the deployment" />`}</main>`;
  const d = dep.data;
  const held = d.processes.filter((p) => p.role === 'worker').reduce((n, p) => n + (p.inFlight ?? 0), 0);
  const abandoned = Math.max(0, held - d.inFlight.length);
  return html`<main id="main">
    <div class="page-head">
      <h1>Deployment</h1>
      <${StatusBadge} status=${!d.up ? 'down' : d.healthy ? 'healthy' : 'degraded'} />
      <span class="muted">namespace ${d.namespace}</span>
      <div class="spacer"></div>
      <button type="button" onClick=${dep.reload}>Refresh</button>
    </div>
    <${ErrorBox} error=${dep.error} />
    <dl class="run-facts">
      <div><dt>NATS</dt><dd>${d.nats.url ?? '—'} <span class="muted">(${d.nats.managed === false ? 'external' : 'managed'}, ${d.nats.status})</span></dd></div>
      <div><dt>Live feed</dt><dd>${d.live ? 'connected' : 'not connected'}</dd></div>
      <div><dt>Waiting for people</dt><dd>${d.waiting.approvals} approval(s), ${d.waiting.indeterminate} unknown outcome(s)</dd></div>
      <div><dt>Refused messages</dt><dd>${d.refusals.total}</dd></div>
    </dl>
    ${!d.up ? html`<p class="empty">No deployment is running. Start one with <code>lily up</code>; runs, approvals and jobs are read from the log meanwhile.</p>` : null}
    ${
      d.processes.length > 0
        ? html`<h2 class="section">Processes</h2>
          <table class="grid">
            <caption class="sr-only">Processes</caption>
            <thead><tr><th scope="col">Process</th><th scope="col">Role</th><th scope="col">Health</th><th scope="col">PID</th><th scope="col">Up for</th><th scope="col">In flight</th><th scope="col">Executors</th><th scope="col">Log</th></tr></thead>
            <tbody>${d.processes.map(
              (p) =>
                html`<tr key=${p.id}><th scope="row">${p.id}</th><td>${p.role}</td><td><${StatusBadge} status=${p.health} /></td><td class="num">${p.pid}</td><td>${formatDuration(p.uptimeMs)}</td><td class="num">${p.inFlight ?? '—'}</td><td>${p.executors.join(', ')}</td><td class="mono small">${p.log}</td></tr>`,
            )}</tbody>
          </table>`
        : null
    }
    <h2 class="section">In flight</h2>
    ${
      abandoned > 0
        ? html`<p class="muted">
          Workers hold ${abandoned} more dispatch(es) than the running runs wait for: attempts of runs that were cancelled
          or ended meanwhile run to their end on the worker, and their answers change nothing.
        </p>`
        : null
    }
    ${
      d.inFlight.length === 0
        ? html`<p class="empty">No step is dispatched or running.</p>`
        : html`<table class="grid">
          <caption class="sr-only">Work in flight</caption>
          <thead><tr><th scope="col">Run</th><th scope="col">Job</th><th scope="col">Step</th><th scope="col">State</th><th scope="col">Worker</th><th scope="col">For</th></tr></thead>
          <tbody>${d.inFlight.map(
            (w) =>
              html`<tr key=${w.dispatchId}><td><${Link} href=${`/runs/${w.runId}`} class="mono">${w.runId}</${Link}></td><td>${w.jobId ?? ''}</td><td class="mono">${w.stepId}#${w.attempt}${w.shard ? ` [${w.shard}]` : ''}</td><td><${StatusBadge} status=${w.state} /></td><td>${w.worker ?? '—'}</td><td>${w.since ? formatDuration(now - w.since) : '—'}</td></tr>`,
          )}</tbody>
        </table>`
    }
    <h2 class="section">Refused messages <span class="muted">(${d.refusals.total} in the logs)</span></h2>
    ${
      d.refusals.recent.length === 0
        ? html`<p class="empty">No process refused a message.</p>`
        : html`<table class="grid">
          <caption class="sr-only">Refused messages</caption>
          <thead><tr><th scope="col">When (UTC)</th><th scope="col">Process</th><th scope="col">Event</th><th scope="col">Reason</th><th scope="col">Run</th><th scope="col">Subject</th></tr></thead>
          <tbody>${d.refusals.recent.map(
            (r) =>
              html`<tr><td title=${formatAgo(r.at, now)}>${formatTime(r.at)}</td><td>${r.process}</td><td class="mono">${r.event}</td><td>${r.reason}</td><td class="mono">${r.runId ?? ''}</td><td class="mono small">${r.subject ?? ''}</td></tr>`,
          )}</tbody>
        </table>`
    }
  </main>`;
};
