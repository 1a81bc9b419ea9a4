import { useState } from 'preact/hooks';
import { formatAgo, formatDuration, formatTime } from '../../model/format.js';
import type { ApprovalList } from '../../model/wire.js';
import { get } from '../api.js';
import { ApprovalDialog } from '../components/actions.js';
import { StatusBadge } from '../components/badge.js';
import { ErrorBox, Loading } from '../components/error-box.js';
import { useNow, useResource } from '../hooks.js';
import { html } from '../html.js';
import { useLiveReload } from '../live.js';
import { Link } from '../router.js';

/** The approvals inbox: pending ones first, with what they wait for; answered ones on request. */
export const ApprovalsPage = () => {
  const [all, setAll] = useState(false);
  const [dialog, setDialog] = useState<{ approvalId: string; decision: 'grant' | 'deny' } | null>(null);
  const list = useResource(() => get<ApprovalList>(`/api/approvals${all ? '?all=1' : ''}`), String(all));
  const now = useNow(5000);
  useLiveReload(
    list.reload,
    (n) => n.type.startsWith('approval.') || n.type === 'run.completed' || n.type === 'policy.decided',
  );
  const approvals = [...(list.data?.approvals ?? [])].sort(
    (a, b) =>
      (a.status === 'pending' ? 0 : 1) - (b.status === 'pending' ? 0 : 1) || b.requestedAt - a.requestedAt,
  );
  return html`<main id="main">
    <div class="page-head">
      <h1>Approvals</h1>
      <label class="inline"><input type="checkbox" checked=${all} onChange=${() => setAll(!all)} /> show answered</label>
    </div>
    <${ErrorBox} error=${list.error} title="Could not list approvals" />
    ${!list.data ? html`<${Loading} what="approvals" />` : null}
    ${list.data && approvals.length === 0 ? html`<p class="empty">Nothing is waiting for a person.</p>` : null}
    ${
      approvals.length > 0
        ? html`<table class="grid">
          <caption class="sr-only">Approvals</caption>
          <thead><tr><th scope="col">Status</th><th scope="col">Run</th><th scope="col">Job</th><th scope="col">Step</th><th scope="col">Reason</th><th scope="col">Requested (UTC)</th><th scope="col">Waiting</th><th scope="col">Answer</th></tr></thead>
          <tbody>
            ${approvals.map(
              (a) => html`<tr key=${a.approvalId} data-approval=${a.approvalId}>
                <td><${StatusBadge} status=${a.status} /></td>
                <td>${a.runId ? html`<${Link} href=${`/runs/${a.runId}`} class="mono">${a.runId}</${Link}>` : '—'}</td>
                <td>${a.jobId ?? '—'}</td>
                <td class="mono">${a.stepId}#${a.attempt}</td>
                <td>${a.reason}</td>
                <td title=${formatAgo(a.requestedAt, now)}>${formatTime(a.requestedAt)}</td>
                <td>${a.status === 'pending' ? formatDuration(now - a.requestedAt) : formatDuration((a.answeredAt ?? now) - a.requestedAt)}</td>
                <td class="actions">
                  ${
                    a.status === 'pending'
                      ? html`<button type="button" class="primary" onClick=${() => setDialog({ approvalId: a.approvalId, decision: 'grant' })}>Approve</button>
                        <button type="button" onClick=${() => setDialog({ approvalId: a.approvalId, decision: 'deny' })}>Deny</button>`
                      : html`<span>${a.status} by ${a.by ?? '?'}${a.note ? `: “${a.note}”` : ''}</span>`
                  }
                </td>
              </tr>`,
            )}
          </tbody>
        </table>`
        : null
    }
    ${dialog ? html`<${ApprovalDialog} ...${dialog} onClose=${() => setDialog(null)} onDone=${list.reload} />` : null}
  </main>`;
};
