import { useState } from 'preact/hooks';
import { formatBytes, formatDuration, formatTime } from '../../model/format.js';
import { layered } from '../../model/layout.js';
import type { LineageDoc, RunDetail, WireArtifactRef } from '../../model/wire.js';
import { artifactText, get } from '../api.js';
import { StatusBadge } from '../components/badge.js';
import { ErrorBox, Loading } from '../components/error-box.js';
import { JsonBlock } from '../components/json.js';
import { useResource } from '../hooks.js';
import { html } from '../html.js';
import { Link } from '../router.js';

const Fact = (p: { k: string; children: unknown }) =>
  html`<div class="fact"><dt>${p.k}</dt><dd>${p.children}</dd></div>`;

/** The receipt: what the log says about the run, folded, in sections. */
export const ReceiptView = (p: { detail: RunDetail }) => {
  const r = p.detail.receipt;
  return html`<div class="receipt">
    <dl class="facts-grid">
      <${Fact} k="blueprint">${r.blueprint ? `${r.blueprint.id}@${r.blueprint.version}` : '—'}</${Fact}>
      <${Fact} k="plan hash"><span class="mono">${r.planHash ?? '—'}</span></${Fact}>
      <${Fact} k="input hash"><span class="mono">${r.inputHash ?? '—'}</span></${Fact}>
      <${Fact} k="kernel">${r.kernelVersion ?? '—'}</${Fact}>
      <${Fact} k="principal">${r.principal ?? '—'}</${Fact}>
      <${Fact} k="dry run">${r.dryRun === null ? '—' : String(r.dryRun)}</${Fact}>
      <${Fact} k="environment"><span class="mono" title=${JSON.stringify(r.env?.vars ?? {})}>${r.env ? r.env.fingerprint.slice(0, 16) : '—'}</span></${Fact}>
      <${Fact} k="receipt files"><span class="mono">${p.detail.dir}</span></${Fact}>
      <${Fact} k="log">${r.log.events} events in ${r.log.stream ?? '—'}</${Fact}>
      ${r.cancel ? html`<${Fact} k="cancelled">by ${r.cancel.by} at ${formatTime(r.cancel.at)}${r.cancel.reason ? `: ${r.cancel.reason}` : ''}</${Fact}>` : null}
    </dl>
    ${r.error ? html`<div class="error-box"><strong>Run error</strong> <code>${r.error.code}</code><div>${r.error.message}</div></div>` : null}
    <h3>Policy decisions</h3>
    <table class="grid">
      <thead><tr><th scope="col">Step</th><th scope="col">Attempt</th><th scope="col">Decision</th><th scope="col">Rule</th><th scope="col">Reasons</th></tr></thead>
      <tbody>${r.policy.map((d) => html`<tr><td class="mono">${d.stepId}</td><td>${d.attempt}</td><td><${StatusBadge} status=${d.decision} /></td><td>${d.rule ?? ''}</td><td>${d.reasons.join('; ')}</td></tr>`)}</tbody>
    </table>
    ${
      r.approvals.length > 0
        ? html`<h3>Approvals</h3>
          <table class="grid">
            <thead><tr><th scope="col">Approval</th><th scope="col">Step</th><th scope="col">Status</th><th scope="col">Reason</th><th scope="col">By</th><th scope="col">Comment</th><th scope="col">Waited</th></tr></thead>
            <tbody>${r.approvals.map((a) => html`<tr><td class="mono">${a.approvalId}</td><td class="mono">${a.stepId}</td><td><${StatusBadge} status=${a.status} /></td><td>${a.reason}</td><td>${a.by ?? ''}</td><td>${a.comment ?? ''}</td><td>${a.decidedAt ? formatDuration(a.decidedAt - a.requestedAt) : '…'}</td></tr>`)}</tbody>
          </table>`
        : null
    }
    <h3>Input</h3>
    <${JsonBlock} value=${r.input} label="run input" />
    ${r.envelope ? html`<h3>Result</h3><${JsonBlock} value=${r.envelope.payload} label="run result payload" />` : null}
    <h3>summary.md</h3>
    <pre class="summary">${p.detail.summary}</pre>
  </div>`;
};

const LineageGraph = (p: { doc: LineageDoc }) => {
  const label = (sha: string) => p.doc.nodes.find((n) => n.sha256 === sha)?.refs[0]?.name ?? sha.slice(0, 12);
  const nodes = p.doc.nodes.map((n) => ({
    id: n.sha256,
    width: Math.max(110, label(n.sha256).length * 7 + 24),
    height: 36,
  }));
  // Inputs flow into what was made from them: draw input -> artifact.
  const layout = layered(
    nodes,
    p.doc.edges.map(([artifact, input]) => ({ from: input, to: artifact })),
  );
  return html`<svg class="graph" width=${layout.width} height=${layout.height} role="img" aria-label=${`Lineage of ${label(p.doc.root)}: ${p.doc.nodes.length} artifacts`}>
    <defs><marker id="arrow3" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" class="arrowhead" /></marker></defs>
    ${layout.edges.map((e) => html`<g class="gedge"><path d=${e.path} marker-end="url(#arrow3)" /></g>`)}
    ${layout.nodes.map(
      (n) => html`<g class=${`lnode${n.id === p.doc.root ? ' root' : ''}`}>
        <title>${n.id}</title>
        <rect x=${n.x} y=${n.y} width=${n.width} height=${n.height} rx="5" />
        <text x=${n.x + 10} y=${n.y + 15}>${label(n.id)}</text>
        <text class="gsub" x=${n.x + 10} y=${n.y + 29}>${n.id.slice(0, 12)}</text>
      </g>`,
    )}
  </svg>`;
};

const PREVIEWABLE = /^(text\/|application\/(json|x-ndjson|yaml))/;

const ArtifactPanel = (p: { a: WireArtifactRef }) => {
  const lineage = useResource(() => get<LineageDoc>(`/api/artifacts/${p.a.sha256}/lineage`), p.a.sha256);
  const canPreview = PREVIEWABLE.test(p.a.mediaType) && p.a.size <= 256 * 1024;
  const text = useResource(
    () => (canPreview ? artifactText(p.a.sha256) : Promise.resolve('')),
    `t-${p.a.sha256}`,
  );
  return html`<div class="artifact-panel">
    <h3>${p.a.name} <span class="muted mono">${p.a.sha256}</span></h3>
    <p><a href=${`/api/artifacts/${p.a.sha256}/content`} download=${p.a.name}>Download</a> · ${formatBytes(p.a.size)} · ${p.a.mediaType} · made by ${p.a.producer}</p>
    <h4>Lineage</h4>
    <${ErrorBox} error=${lineage.error} />
    ${lineage.data ? html`<div class="scroll-x"><${LineageGraph} doc=${lineage.data} /></div>` : html`<${Loading} what="lineage" />`}
    ${canPreview ? html`<h4>Content</h4><pre class="json" aria-label=${`content of ${p.a.name}`}>${text.data ?? ''}</pre>` : null}
  </div>`;
};

/** The run's artifacts: name, type, size, step; select one for its lineage and content. */
export const ArtifactsView = (p: { artifacts: WireArtifactRef[] }) => {
  const [selected, setSelected] = useState<string | null>(p.artifacts[0]?.sha256 ?? null);
  if (p.artifacts.length === 0) return html`<p class="empty">This run recorded no artifacts.</p>`;
  const chosen = p.artifacts.find((a) => a.sha256 === selected);
  return html`<div>
    <table class="grid">
      <caption class="sr-only">Artifacts</caption>
      <thead><tr><th scope="col">Name</th><th scope="col">Step</th><th scope="col">Type</th><th scope="col">Size</th><th scope="col">sha256</th><th scope="col">Made from</th></tr></thead>
      <tbody>
        ${p.artifacts.map(
          (a) => html`<tr key=${a.sha256 + a.name} class=${a.sha256 === selected ? 'selected' : ''}>
            <td><button type="button" class="link" aria-pressed=${a.sha256 === selected} onClick=${() => setSelected(a.sha256)}>${a.name}</button></td>
            <td class="mono">${a.stepId ?? ''}</td>
            <td>${a.type ?? a.mediaType}</td>
            <td>${formatBytes(a.size)}</td>
            <td class="mono">${a.sha256.slice(0, 12)}</td>
            <td>${a.inputs.length > 0 ? `${a.inputs.length} input(s)` : '—'}${a.runId && a.runId !== p.artifacts[0]?.runId ? html` (<${Link} href=${`/runs/${a.runId}`}>run</${Link}>)` : null}</td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${chosen ? html`<${ArtifactPanel} key=${chosen.sha256} a=${chosen} />` : null}
  </div>`;
};
