import { html } from '../html.js';

const LABELS: Record<string, string> = {
  awaiting_approval: 'awaiting approval',
  retry_scheduled: 'retry scheduled',
  retry_wait: 'retry wait',
  policy_check: 'policy check',
  timed_out: 'timed out',
  not_answering: 'not answering',
};

/** A status word with its color (class `st-<status>`); the text is the status, readable without color. */
export const StatusBadge = (p: { status: string; title?: string }) =>
  html`<span class=${`badge st-${p.status}`} title=${p.title}>${LABELS[p.status] ?? p.status}</span>`;

/** A short run id (first 10 characters) with the whole id as its title and accessible name. */
export const ShortId = (p: { id: string }) =>
  html`<span class="mono" title=${p.id}>${p.id.slice(0, 10)}…</span>`;
