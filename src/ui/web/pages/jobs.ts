import { useState } from 'preact/hooks';
import { formatAgo, formatTime } from '../../model/format.js';
import type { ActionResult, JobList, JobRow } from '../../model/wire.js';
import { get, post } from '../api.js';
import { StatusBadge } from '../components/badge.js';
import { ActionDialog } from '../components/dialog.js';
import { ErrorBox, Loading } from '../components/error-box.js';
import { toast } from '../components/toast.js';
import { useNow, useResource } from '../hooks.js';
import { html } from '../html.js';
import { useLiveReload } from '../live.js';
import { Link, navigate } from '../router.js';

export const triggerText = (j: JobRow): string =>
  j.trigger === null
    ? '—'
    : 'cron' in j.trigger
      ? `cron ${j.trigger.cron} (${j.trigger.timezone}, overlap ${j.trigger.overlap})`
      : 'manual';

/** Runs a job after its preview: input as JSON over the job's default, dry run or not. */
export const RunJobDialog = (p: { jobId: string; onClose: () => void }) => {
  const [text, setText] = useState('{}');
  const [dryRun, setDryRun] = useState(false);
  let input: unknown;
  let invalid: string | null = null;
  try {
    input = JSON.parse(text || '{}');
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      invalid = 'Input must be a JSON object.';
  } catch (e) {
    invalid = `Input is not JSON: ${(e as Error).message}`;
  }
  const body = { ...(invalid === null ? { input } : {}), dryRun };
  return html`<${ActionDialog}
    title=${`Run job ${p.jobId}`}
    previewPath=${`/api/jobs/${encodeURIComponent(p.jobId)}/run/preview`}
    body=${body}
    confirmLabel="Start the run"
    invalid=${invalid}
    onClose=${p.onClose}
    onConfirm=${async () => {
      const r = await post<ActionResult>(`/api/jobs/${encodeURIComponent(p.jobId)}/run`, body);
      toast(r.message);
      if (r.runId) navigate(`/runs/${r.runId}`);
    }}
  >
    <label class="field">Input (JSON, merged over the job's input)
      <textarea rows="4" class="mono" value=${text} onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
    </label>
    <label class="inline"><input type="checkbox" checked=${dryRun} onChange=${() => setDryRun(!dryRun)} /> Dry run (executors simulate side effects)</label>
  </${ActionDialog}>`;
};

/** Jobs: target, trigger, next cron fires, the last runs; run one from here. */
export const JobsPage = () => {
  const jobs = useResource(() => get<JobList>('/api/jobs'), 'jobs');
  const [running, setRunning] = useState<string | null>(null);
  const now = useNow(10_000);
  useLiveReload(
    jobs.reload,
    (n) => n.type === 'run.requested' || n.type === 'run.completed' || n.type === 'schedule.ticked',
  );
  return html`<main id="main">
    <div class="page-head"><h1>Jobs</h1></div>
    <${ErrorBox} error=${jobs.error} title="Could not list jobs" />
    ${!jobs.data ? html`<${Loading} what="jobs" />` : null}
    ${
      jobs.data
        ? html`<table class="grid">
          <caption class="sr-only">Jobs</caption>
          <thead><tr><th scope="col">Job</th><th scope="col">Target</th><th scope="col">Trigger</th><th scope="col">Next fires (UTC)</th><th scope="col">Last runs</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            ${jobs.data.jobs.map(
              (j) => html`<tr key=${j.id} data-job=${j.id}>
                <th scope="row"><${Link} href=${`/jobs/${j.id}`}>${j.id}</${Link}><div class="muted">${j.title ?? ''}</div></th>
                <td>${j.target ? `${j.target.id}${j.target.version ? `@${j.target.version}` : ''}` : html`<span class="err-text" title=${j.error?.message}>${j.error?.code}</span>`}</td>
                <td>${triggerText(j)}</td>
                <td>${j.next.length > 0 ? html`<ul class="plain">${j.next.slice(0, 3).map((t) => html`<li title=${formatAgo(t, now)}>${formatTime(t)}</li>`)}</ul>` : '—'}</td>
                <td><span class="run-dots">${j.lastRuns.map((r) => html`<${Link} href=${`/runs/${r.runId}`} title=${`${r.runId} ${r.status} ${formatAgo(r.startedAt, now)}`} aria-label=${`run ${r.runId}: ${r.status}`}><${StatusBadge} status=${r.status} /></${Link}>`)}</span></td>
                <td class="actions">${j.valid ? html`<button type="button" onClick=${() => setRunning(j.id)} aria-label=${`Run ${j.id}`}>Run…</button>` : null}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
        : null
    }
    ${running ? html`<${RunJobDialog} jobId=${running} onClose=${() => setRunning(null)} />` : null}
  </main>`;
};
