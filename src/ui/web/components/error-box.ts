import type { ApiFailure } from '../api.js';
import { html } from '../html.js';

/** An API failure as the page shows it: code, message and data, in an alert region. */
export const ErrorBox = (p: { error: ApiFailure | undefined; title?: string }) => {
  if (!p.error) return null;
  const data = Object.keys(p.error.data).length > 0 ? JSON.stringify(p.error.data, null, 2) : null;
  return html`<div class="error-box" role="alert">
    <strong>${p.title ?? 'Error'}</strong> <code>${p.error.code}</code>
    <div>${p.error.message}</div>
    ${data ? html`<details><summary>data</summary><pre class="json">${data}</pre></details>` : null}
  </div>`;
};

export const Loading = (p: { what: string }) => html`<p class="muted" role="status">Loading ${p.what}…</p>`;
