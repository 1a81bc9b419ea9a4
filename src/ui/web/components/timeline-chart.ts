import { formatDuration, tickStep } from '../../model/format.js';
import type { Mark, Segment, Timeline, TimelineRow } from '../../model/timeline.js';
import { useWidth } from '../hooks.js';
import { html } from '../html.js';

const LABEL_W = 180;
const ROW_H = 24;
const AXIS_H = 26;
const PAD_R = 16;

const KIND_TEXT: Record<string, string> = {
  policy: 'policy check',
  approval: 'approval wait',
  queued: 'queued',
  running: 'running',
  backoff: 'retry backoff',
  gate: 'gate',
  partition: 'partitioning',
  unknown: 'outcome unknown',
};

/** The words inside a bar wide enough for them: `#2 90ms`, `approval 12.5s`, `backoff 600ms`. */
const short = (s: Segment, to: number): string => {
  const d = formatDuration(to - s.from);
  if (s.kind === 'running' || s.kind === 'queued')
    return `${s.kind === 'queued' ? 'queued ' : ''}#${s.attempt ?? '?'} ${d}`;
  if (s.kind === 'approval') return `approval ${d}${s.outcome === 'open' ? '' : ` · ${s.outcome}`}`;
  if (s.kind === 'unknown') return `unknown ${d}`;
  return `${s.kind} ${d}`;
};

/** A segment's bar: its kind and outcome as classes, its story as the accessible name and tooltip. */
const Bar = (p: {
  s: Segment;
  x: (t: number) => number;
  y: number;
  end: number;
  onSelect: (seq: number) => void;
}) => {
  const { s, x } = p;
  const to = s.to ?? p.end;
  const x1 = x(s.from);
  const w = Math.max(2, x(to) - x1);
  const thin = s.kind === 'policy' || s.kind === 'partition';
  const h = thin ? 6 : ROW_H - 8;
  const y = p.y + (ROW_H - h) / 2;
  const text = `${s.label}: ${KIND_TEXT[s.kind]} ${formatDuration(to - s.from)}${s.to === null ? ' so far' : `, ${s.outcome}`}`;
  const deadline = s.deadline !== null && s.to === null ? s.deadline : null;
  return html`<g
    class=${`seg seg-${s.kind} out-${s.outcome}`}
    role="button"
    tabindex="0"
    aria-label=${text}
    onClick=${() => p.onSelect(s.seq)}
    onKeyDown=${(e: KeyboardEvent) => (e.key === 'Enter' || e.key === ' ') && p.onSelect(s.seq)}
  >
    <title>${text}</title>
    <rect x=${x1} y=${y} width=${w} height=${h} rx="2" />
    ${!thin && w >= 56 ? html`<text class="seg-text" x=${x1 + 4} y=${p.y + ROW_H / 2 + 4}>${short(s, to)}</text>` : null}
    ${deadline !== null ? html`<line class="deadline" x1=${x(deadline)} x2=${x(deadline)} y1=${p.y + 2} y2=${p.y + ROW_H - 2} />` : null}
  </g>`;
};

const RowMarks = (p: { marks: Mark[]; x: (t: number) => number; y: number }) =>
  p.marks.map((m) => {
    const cx = p.x(m.at);
    const cy = p.y + ROW_H / 2;
    return html`<g class=${`mark mark-${m.kind}`}>
      <title>${m.label}</title>
      ${
        m.kind === 'timeout'
          ? html`<path d=${`M${cx - 4},${cy - 4} L${cx + 4},${cy + 4} M${cx + 4},${cy - 4} L${cx - 4},${cy + 4}`} />`
          : html`<circle cx=${cx} cy=${cy} r="3.5" />`
      }
    </g>`;
  });

const Row = (p: {
  row: TimelineRow;
  i: number;
  x: (t: number) => number;
  width: number;
  end: number;
  onSelect: (seq: number) => void;
}) => {
  const y = AXIS_H + p.i * ROW_H;
  const sub = p.row.kind !== 'step';
  return html`<g class=${sub ? 'trow sub' : 'trow'} role="listitem" aria-label=${`${sub ? `${p.row.stepId} ` : ''}${p.row.label}`}>
    <rect class=${p.i % 2 === 0 ? 'stripe' : 'stripe odd'} x="0" y=${y} width=${p.width} height=${ROW_H} />
    <text class="tlabel" x=${sub ? 22 : 8} y=${y + ROW_H / 2 + 4}>${p.row.label}</text>
    ${p.row.segments.map((s) => html`<${Bar} s=${s} x=${p.x} y=${y} end=${p.end} onSelect=${p.onSelect} />`)}
    <${RowMarks} marks=${p.row.marks} x=${p.x} y=${y} />
  </g>`;
};

const Axis = (p: { start: number; span: number; x: (t: number) => number; height: number }) => {
  const step = tickStep(p.span);
  const ticks: number[] = [];
  for (let t = 0; t <= p.span + 1e-9; t += step) ticks.push(t);
  return html`<g class="axis" aria-hidden="true">
    ${ticks.map(
      (t) => html`<g>
        <line x1=${p.x(p.start + t)} x2=${p.x(p.start + t)} y1=${AXIS_H - 6} y2=${p.height} />
        <text x=${p.x(p.start + t) + 3} y=${AXIS_H - 10}>+${formatDuration(t)}</text>
      </g>`,
    )}
  </g>`;
};

/**
 * The Gantt picture of a run: a row per step (and per shard and gate), a bar per policy check,
 * approval wait, queue, attempt, backoff and gate; deadlines of running attempts, timeouts,
 * skipped and memoized steps as marks; the cancel request, the end (or now) as lines. Every bar
 * is a button: it selects the event that opened it in the history.
 */
export const TimelineChart = (p: { timeline: Timeline; now: number; onSelect: (seq: number) => void }) => {
  const [ref, width] = useWidth<HTMLDivElement>(960);
  const t = p.timeline;
  const end = t.open ? Math.max(p.now, t.end) : t.end;
  const span = Math.max(1, end - t.start);
  const plot = Math.max(100, width - LABEL_W - PAD_R);
  const x = (at: number) => LABEL_W + ((at - t.start) / span) * plot;
  const height = AXIS_H + t.rows.length * ROW_H + 6;
  const runMarks = t.marks.filter((m) => m.kind === 'cancel' || m.kind === 'completed');
  return html`<div class="timeline" ref=${ref}>
    <svg width=${width} height=${height} role="img" aria-label=${`Timeline of the run: ${t.rows.length} rows over ${formatDuration(span)}${t.open ? ', still running' : ''}`}>
      <${Axis} start=${t.start} span=${span} x=${x} height=${height} />
      <g role="list" aria-label="Steps">
        ${t.rows.map((row, i) => html`<${Row} key=${row.key} row=${row} i=${i} x=${x} width=${width} end=${end} onSelect=${p.onSelect} />`)}
      </g>
      ${runMarks.map(
        (m) => html`<g class=${`runmark runmark-${m.kind}`}>
          <title>${m.label}</title>
          <line x1=${x(m.at)} x2=${x(m.at)} y1=${AXIS_H - 4} y2=${height} />
        </g>`,
      )}
      ${t.open ? html`<line class="nowline" x1=${x(end)} x2=${x(end)} y1=${AXIS_H - 4} y2=${height}><title>now</title></line>` : null}
    </svg>
    <ul class="legend" aria-label="Legend">
      ${['queued', 'running', 'backoff', 'approval', 'gate', 'policy', 'unknown'].map(
        (k) => html`<li><span class=${`swatch sw-${k}`} aria-hidden="true"></span>${KIND_TEXT[k]}</li>`,
      )}
      <li><span class="swatch sw-failed" aria-hidden="true"></span>failed attempt</li>
      <li><span class="swatch sw-deadline" aria-hidden="true"></span>timeout deadline</li>
    </ul>
  </div>`;
};
