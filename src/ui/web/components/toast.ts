import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';

interface Toast {
  id: number;
  text: string;
  kind: 'ok' | 'error';
}

let next = 1;
const subscribers = new Set<(t: Toast[]) => void>();
let toasts: Toast[] = [];

const publish = () => {
  for (const s of subscribers) s(toasts);
};

/** Shows a short message (an action's result) for a few seconds, announced to screen readers. */
export const toast = (text: string, kind: 'ok' | 'error' = 'ok'): void => {
  const t = { id: next++, text, kind };
  toasts = [...toasts, t];
  publish();
  window.setTimeout(() => {
    toasts = toasts.filter((x) => x.id !== t.id);
    publish();
  }, 6000);
};

export const Toasts = () => {
  const [list, setList] = useState<Toast[]>(toasts);
  useEffect(() => {
    subscribers.add(setList);
    return () => void subscribers.delete(setList);
  }, []);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${list.map((t) => html`<div key=${t.id} class=${`toast toast-${t.kind}`}>${t.text}</div>`)}
  </div>`;
};
