import { formatAgo, formatDuration, formatTime } from '../../model/format.js';
import type { JobList, RunList, RunRow } from '../../model/wire.js';
import { get } from '../api.js';
import { StatusBadge } from '../components/badge.js';
import { ErrorBox, Loading } from '../components/error-box.js';
import { useNow, useResource } from '../hooks.js';
import { html } from '../html.js';
import { useLiveReload } from '../live.js';
import { Link, navigate, useLocation } from '../router.js';

const STATUSES = ['running', 'succeeded', 'failed', 'cancelled'];
const TRIGGERS = ['manual', 'cron', 'rerun', 'api'];
const RANGES: [string, string, number | null][] = [
  ['any time', '', null],
  ['last hour', '1h', 3_600_000],
  ['last 24 hours', '24h', 86_400_000],
  ['last 7 days', '7d', 7 * 86_400_000],
];

/** The query of /api/runs from the page's URL (`range` becomes `from`). */
const apiQuery = (q: URLSearchParams, now: number): string => {
  const out = new URLSearchParams();
  for (const k of ['job', 'status', 'trigger', 'q', 'from', 'to']) {
    const v = q.get(k);
    if (v) out.set(k, k === 'from' || k === 'to' ? String(new Date(v).getTime()) : v);
  }
  const range = RANGES.find(([, key]) => key !== '' && key === q.get('range'));
  if (range?.[2]) out.set('from', String(now - range[2]));
  out.set('limit', q.get('limit') ?? '100');
  return out.toString();
};

const setParam = (q: URLSearchParams, key: string, value: string) => {
  const next = new URLSearchParams(q);
  if (value) next.set(key, value);
  else next.delete(key);
  if (key === 'range' && value) {
    next.delete('from');
    next.delete('to');
  }
  if ((key === 'from' || key === 'to') && value) next.delete('range');
  navigate(`/?${next.toString()}`, { replace: true });
};

const Steps = (p: { steps: RunRow['steps'] }) => {
  const pct = p.steps.total > 0 ? Math.round((100 * p.steps.ok) / p.steps.total) : 0;
  return html`<span class="steps" title=${`${p.steps.ok} of ${p.steps.total} steps succeeded`}>
    <span class="meter" aria-hidden="true"><span class="meter-fill" style=${{ width: `${pct}%` }}></span></span>
    ${p.steps.ok}/${p.steps.total}
  </span>`;
};

const Notes = (p: { run: RunRow }) => {
  const r = p.run;
  return html`<span class="notes">
    ${r.waiting.approvals > 0 ? html`<span class="pill pill-approval">waiting for approval</span>` : null}
    ${r.waiting.indeterminate > 0 ? html`<span class="pill pill-unknown">needs an operator</span>` : null}
    ${r.parentRunId ? html`<span class="pill" title=${`re-run of ${r.parentRunId}`}>${r.fromStep ? `fork from ${r.fromStep}` : 're-run'}</span>` : null}
    ${r.dryRun ? html`<span class="pill">dry run</span>` : null}
    ${r.error ? html`<span class="err-text" title=${r.error.message}>${r.error.code}</span>` : null}
  </span>`;
};

export const RunsTable = (p: { runs: RunRow[]; now: number; caption: string }) =>
  html`<table class="grid runs">
    <caption class="sr-only">${p.caption}</caption>
    <thead>
      <tr>
        <th scope="col">Status</th>
        <th scope="col">Run</th>
        <th scope="col">Job</th>
        <th scope="col">Trigger</th>
        <th scope="col">Started (UTC)</th>
        <th scope="col">Duration</th>
        <th scope="col">Steps</th>
        <th scope="col">Notes</th>
      </tr>
    </thead>
    <tbody>
      ${p.runs.map(
        (r) => html`<tr key=${r.runId} data-run=${r.runId}>
          <td><${StatusBadge} status=${r.status} /></td>
          <td><${Link} href=${`/runs/${r.runId}`} class="mono">${r.runId}</${Link}></td>
          <td>${r.jobId ? html`<${Link} href=${`/jobs/${r.jobId}`}>${r.jobId}</${Link}>` : '—'}</td>
          <td>${r.trigger ?? '—'}</td>
          <td title=${formatAgo(r.startedAt, p.now)}>${formatTime(r.startedAt)}</td>
          <td>${r.status === 'running' || r.status === 'requested' ? html`<span class="muted">${formatDuration(p.now - (r.startedAt ?? p.now))}…</span>` : formatDuration(r.durationMs)}</td>
          <td><${Steps} steps=${r.steps} /></td>
          <td><${Notes} run=${r} /></td>
        </tr>`,
      )}
    </tbody>
  </table>`;

/** Runs, newest first, live: filters in the URL (shareable), search by run id. */
export const RunsPage = () => {
  const { query } = useLocation();
  const now = useNow(1000);
  const q = query.toString();
  const runs = useResource(() => get<RunList>(`/api/runs?${apiQuery(query, Date.now())}`), q, { keep: true });
  const jobs = useResource(() => get<JobList>('/api/jobs'), 'jobs');
  useLiveReload(runs.reload, (n) => n.runId !== null);
  const select = (key: string, label: string, options: [string, string][]) =>
    html`<label>${label}
      <select value=${query.get(key) ?? ''} onChange=${(e: Event) => setParam(query, key, (e.target as HTMLSelectElement).value)}>
        ${options.map(([text, value]) => html`<option value=${value}>${text}</option>`)}
      </select>
    </label>`;
  return html`<main id="main">
    <div class="page-head">
      <h1>Runs</h1>
      <span class="muted">${runs.data ? `${runs.data.runs.length} of ${runs.data.total}` : ''}</span>
    </div>
    <form class="filters" role="search" aria-label="Filter runs" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>Run id
        <input type="search" placeholder="01J… (a prefix is enough)" value=${query.get('q') ?? ''}
          onInput=${(e: Event) => setParam(query, 'q', (e.target as HTMLInputElement).value.trim())} />
      </label>
      ${select('job', 'Job', [['all jobs', ''], ...(jobs.data?.jobs ?? []).map((j): [string, string] => [j.id, j.id])])}
      ${select('status', 'Status', [['any status', ''], ...STATUSES.map((s): [string, string] => [s, s])])}
      ${select('trigger', 'Trigger', [['any trigger', ''], ...TRIGGERS.map((s): [string, string] => [s, s])])}
      ${select(
        'range',
        'Time',
        RANGES.map(([text, key]): [string, string] => [text, key]),
      )}
      <label>From
        <input type="datetime-local" value=${query.get('from') ?? ''} onChange=${(e: Event) => setParam(query, 'from', (e.target as HTMLInputElement).value)} />
      </label>
      <label>To
        <input type="datetime-local" value=${query.get('to') ?? ''} onChange=${(e: Event) => setParam(query, 'to', (e.target as HTMLInputElement).value)} />
      </label>
      ${q ? html`<button type="button" onClick=${() => navigate('/', { replace: true })}>Clear</button>` : null}
    </form>
    <${ErrorBox} error=${runs.error} title="Could not list runs" />
    ${!runs.data && runs.loading ? html`<${Loading} what="runs" />` : null}
    ${
      runs.data && runs.data.runs.length === 0
        ? html`<p class="empty">No runs${q ? ' match these filters' : ' yet: start one from the Jobs page or with lily jobs run'}.</p>`
        : null
    }
    ${runs.data && runs.data.runs.length > 0 ? html`<${RunsTable} runs=${runs.data.runs} now=${now} caption="Runs, newest first" />` : null}
  </main>`;
};
