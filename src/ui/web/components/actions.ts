import { useState } from 'preact/hooks';
import type { ActionResult } from '../../model/wire.js';
import { post } from '../api.js';
import { html } from '../html.js';
import { navigate } from '../router.js';
import { ActionDialog } from './dialog.js';
import { toast } from './toast.js';

type Close = { onClose: () => void; onDone?: () => void };

const done = (r: ActionResult, p: Close) => {
  toast(r.message);
  p.onDone?.();
};

/** Parses a JSON object typed by a person; the error says what is wrong. */
const parseObject = (text: string): { value?: Record<string, unknown>; error?: string } => {
  if (text.trim() === '') return { value: {} };
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return { error: 'must be a JSON object: {"key": value}' };
    return { value: v as Record<string, unknown> };
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}` };
  }
};

export const CancelDialog = (p: Close & { runId: string }) => {
  const [reason, setReason] = useState('');
  const body = reason.trim() ? { reason: reason.trim() } : {};
  return html`<${ActionDialog}
    title=${`Cancel run ${p.runId}`}
    previewPath=${`/api/runs/${p.runId}/cancel/preview`}
    body=${body}
    confirmLabel="Cancel the run"
    danger=${true}
    onClose=${p.onClose}
    onConfirm=${async () => done(await post<ActionResult>(`/api/runs/${p.runId}/cancel`, body), p)}
  >
    <label class="field">Reason (recorded in the log)
      <input type="text" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
    </label>
  </${ActionDialog}>`;
};

export const RerunDialog = (
  p: Close & { runId: string; steps: string[]; fromStep?: string; input: unknown },
) => {
  const [mode, setMode] = useState<'fresh' | 'from' | 'gates'>(p.fromStep ? 'from' : 'fresh');
  const [fromStep, setFromStep] = useState(p.fromStep ?? p.steps[0] ?? '');
  const [inputText, setInputText] = useState(JSON.stringify(p.input ?? {}, null, 2));
  const parsed = parseObject(inputText);
  const body =
    mode === 'from' ? { fromStep } : mode === 'gates' ? { gatesOnly: true } : { input: parsed.value ?? {} };
  return html`<${ActionDialog}
    title=${`Re-run ${p.runId}`}
    previewPath=${`/api/runs/${p.runId}/rerun/preview`}
    body=${body}
    confirmLabel="Start the new run"
    invalid=${mode === 'fresh' && parsed.error ? `Input ${parsed.error}` : null}
    onClose=${p.onClose}
    onConfirm=${async () => {
      const r = await post<ActionResult>(`/api/runs/${p.runId}/rerun`, body);
      done(r, p);
      if (r.runId) navigate(`/runs/${r.runId}`);
    }}
  >
    <fieldset class="field">
      <legend>What to run</legend>
      <label><input type="radio" name="mode" checked=${mode === 'fresh'} onChange=${() => setMode('fresh')} /> The whole job again (edit the input)</label>
      <label><input type="radio" name="mode" checked=${mode === 'from'} onChange=${() => setMode('from')} /> From a step (a fork: earlier outputs reused)</label>
      <label><input type="radio" name="mode" checked=${mode === 'gates'} onChange=${() => setMode('gates')} /> Only the gates</label>
    </fieldset>
    ${
      mode === 'from'
        ? html`<label class="field">From step
          <select value=${fromStep} onChange=${(e: Event) => setFromStep((e.target as HTMLSelectElement).value)}>
            ${p.steps.map((s) => html`<option value=${s}>${s}</option>`)}
          </select>
        </label>`
        : null
    }
    ${
      mode === 'fresh'
        ? html`<label class="field">Input (JSON, merged over the parent run's input)
          <textarea rows="6" class="mono" value=${inputText} onInput=${(e: Event) => setInputText((e.target as HTMLTextAreaElement).value)}></textarea>
        </label>`
        : null
    }
  </${ActionDialog}>`;
};

export const ResolveDialog = (p: Close & { runId: string; dispatchId: string }) => {
  const [outcome, setOutcome] = useState<'succeeded' | 'failed'>('failed');
  const [reason, setReason] = useState('');
  const [outputText, setOutputText] = useState('{}');
  const parsed = parseObject(outputText);
  const body =
    outcome === 'succeeded'
      ? { dispatchId: p.dispatchId, outcome, output: parsed.value ?? {} }
      : { dispatchId: p.dispatchId, outcome, reason: reason.trim() };
  const invalid =
    outcome === 'failed' && reason.trim() === ''
      ? 'Say why it failed (the reason is recorded).'
      : outcome === 'succeeded' && parsed.error
        ? `Output ${parsed.error}`
        : null;
  return html`<${ActionDialog}
    title=${`Resolve ${p.dispatchId}`}
    previewPath=${`/api/runs/${p.runId}/resolve/preview`}
    body=${{ dispatchId: p.dispatchId, outcome }}
    confirmLabel=${outcome === 'succeeded' ? 'Record: it happened' : 'Record: it did not happen'}
    invalid=${invalid}
    onClose=${p.onClose}
    onConfirm=${async () => done(await post<ActionResult>(`/api/runs/${p.runId}/resolve`, body), p)}
  >
    <fieldset class="field">
      <legend>Did the step's effect happen?</legend>
      <label><input type="radio" name="outcome" checked=${outcome === 'succeeded'} onChange=${() => setOutcome('succeeded')} /> Yes: the step succeeded</label>
      <label><input type="radio" name="outcome" checked=${outcome === 'failed'} onChange=${() => setOutcome('failed')} /> No: the step failed</label>
    </fieldset>
    ${
      outcome === 'failed'
        ? html`<label class="field">Reason
          <input type="text" value=${reason} onInput=${(e: Event) => setReason((e.target as HTMLInputElement).value)} />
        </label>`
        : html`<label class="field">Step output (JSON)
          <textarea rows="4" class="mono" value=${outputText} onInput=${(e: Event) => setOutputText((e.target as HTMLTextAreaElement).value)}></textarea>
        </label>`
    }
  </${ActionDialog}>`;
};

export const ApprovalDialog = (p: Close & { approvalId: string; decision: 'grant' | 'deny' }) => {
  const [text, setText] = useState('');
  const grant = p.decision === 'grant';
  const body = grant ? (text.trim() ? { comment: text.trim() } : {}) : { reason: text.trim() };
  return html`<${ActionDialog}
    title=${`${grant ? 'Approve' : 'Deny'} ${p.approvalId}`}
    previewPath=${`/api/approvals/${encodeURIComponent(p.approvalId)}/preview`}
    body=${{ decision: p.decision }}
    confirmLabel=${grant ? 'Approve' : 'Deny'}
    danger=${!grant}
    invalid=${!grant && text.trim() === '' ? 'A denial needs a reason.' : null}
    onClose=${p.onClose}
    onConfirm=${async () =>
      done(
        await post<ActionResult>(
          `/api/approvals/${encodeURIComponent(p.approvalId)}/${grant ? 'grant' : 'deny'}`,
          body,
        ),
        p,
      )}
  >
    <label class="field">${grant ? 'Comment (optional, recorded with the grant)' : 'Reason (recorded with the denial)'}
      <textarea rows="3" value=${text} onInput=${(e: Event) => setText((e.target as HTMLTextAreaElement).value)}></textarea>
    </label>
  </${ActionDialog}>`;
};
