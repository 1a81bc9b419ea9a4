import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Preview } from '../../model/wire.js';
import { type ApiFailure, post } from '../api.js';
import { useDebounced, useResource } from '../hooks.js';
import { html } from '../html.js';
import { ErrorBox } from './error-box.js';

export interface ActionDialogProps {
  title: string;
  /** The preview endpoint and the body to send it (re-fetched when the body changes). */
  previewPath: string;
  body: Record<string, unknown>;
  /** Form fields (comment, reason, step...), above the preview. */
  children?: ComponentChildren;
  confirmLabel: string;
  /** Disables the confirm button (a required field is empty). */
  invalid?: string | null;
  danger?: boolean;
  /** Runs the action; resolves when it is done (the dialog closes). */
  onConfirm: () => Promise<void>;
  onClose: () => void;
}

/**
 * A modal that says what an action will do before it is done: the server's preview (effects,
 * facts, or why it is blocked), then Confirm. Escape or Cancel closes it; focus starts in it.
 */
export const ActionDialog = (p: ActionDialogProps) => {
  const body = useDebounced(p.body, 250);
  const key = JSON.stringify(body);
  const preview = useResource(() => post<Preview>(p.previewPath, body), `${p.previewPath}|${key}`, {
    keep: true,
  });
  // Confirming acts on what is typed now: wait until the preview is of exactly that. Right
  // after the debounced body changes the new preview has not even started loading (effects run
  // after the render), so `loading` alone would let the button flash enabled under the old one.
  const stale = JSON.stringify(p.body) !== key || !preview.settled;
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<ApiFailure | undefined>(undefined);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const first = ref.current?.querySelector<HTMLElement>('input, textarea, select, button');
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') p.onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const confirm = async () => {
    setBusy(true);
    setFailed(undefined);
    try {
      await p.onConfirm();
      p.onClose();
    } catch (e) {
      setFailed(e as ApiFailure);
    } finally {
      setBusy(false);
    }
  };
  const pv = preview.data;
  const blocked = pv && !pv.allowed ? pv.blocked : null;
  const disabled = busy || stale || !pv || blocked !== null || Boolean(p.invalid);
  const titleId = `dlg-${p.title.replace(/\W+/g, '-').toLowerCase()}`;
  return html`<div class="backdrop" onClick=${(e: MouseEvent) => e.target === e.currentTarget && p.onClose()}>
    <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=${titleId} ref=${ref}>
      <h2 id=${titleId}>${p.title}</h2>
      ${p.children}
      <section class="preview" aria-label="What this will do">
        <h3>What this will do</h3>
        ${preview.loading && !pv ? html`<p class="muted" role="status">Asking the server…</p>` : null}
        <${ErrorBox} error=${preview.error} title="Preview failed" />
        ${
          pv
            ? html`<ul class="effects">
                ${pv.effects.map((e) => html`<li>${e}</li>`)}
              </ul>
              ${blocked ? html`<p class="blocked" role="alert">Not possible now: ${blocked}</p>` : null}`
            : null
        }
      </section>
      <${ErrorBox} error=${failed} title="The action failed" />
      ${p.invalid ? html`<p class="muted">${p.invalid}</p>` : null}
      <div class="dialog-buttons">
        <button type="button" onClick=${p.onClose}>Cancel</button>
        <button type="button" class=${p.danger ? 'danger' : 'primary'} disabled=${disabled} onClick=${confirm}>
          ${busy ? 'Working…' : p.confirmLabel}
        </button>
      </div>
    </div>
  </div>`;
};
