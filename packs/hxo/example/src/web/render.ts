import type { Note } from '../notes/types.js';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** The HTML of a note list, for the read-only web page. */
export const renderNotes = (notes: Note[]): string =>
  `<ul class="notes">${notes
    .map((n) => `<li><h2>${escapeHtml(n.title)}</h2><p>${escapeHtml(n.body)}</p></li>`)
    .join('')}</ul>`;
