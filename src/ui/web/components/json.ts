import { html } from '../html.js';

/** JSON, pretty-printed, selectable and copyable (a `<pre>`: the text is escaped by preact). */
export const JsonBlock = (p: { value: unknown; label?: string }) =>
  html`<pre class="json" aria-label=${p.label ?? 'JSON'} tabindex="0">${JSON.stringify(p.value, null, 2)}</pre>`;
