import { useEffect, useState } from 'preact/hooks';
import { eventFamily, eventWords, isTrouble } from '../../model/events.js';
import { formatClock, formatOffset } from '../../model/format.js';
import type { WireEvent } from '../../model/wire.js';
import { JsonBlock } from '../components/json.js';
import { html } from '../html.js';

/**
 * The run's event history, as the log holds it: seq, time, offset, type, the words that
 * matter; each row opens to the event's JSON. `selected` (a seq chosen on the timeline) is
 * opened and scrolled to.
 */
export const History = (p: { events: WireEvent[]; selected: number | null }) => {
  const [open, setOpen] = useState<Set<number>>(new Set(p.selected === null ? [] : [p.selected]));
  const [filter, setFilter] = useState('');
  useEffect(() => {
    if (p.selected === null) return;
    setOpen((o) => new Set([...o, p.selected as number]));
    window.setTimeout(
      () => document.getElementById(`ev-${p.selected}`)?.scrollIntoView({ block: 'center' }),
      0,
    );
  }, [p.selected]);
  const start = p.events[0]?.at ?? 0;
  const f = filter.trim().toLowerCase();
  const shown =
    f === ''
      ? p.events
      : p.events.filter((e) => `${e.type} ${eventWords(e.type, e.data).join(' ')}`.toLowerCase().includes(f));
  const toggle = (seq: number) =>
    setOpen((o) => {
      const n = new Set(o);
      if (n.has(seq)) n.delete(seq);
      else n.add(seq);
      return n;
    });
  return html`<div>
    <div class="filters">
      <label>Filter events
        <input type="search" placeholder="step id, type, error code…" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} />
      </label>
      <button type="button" onClick=${() => setOpen(new Set(shown.map((e) => e.seq)))}>Expand all</button>
      <button type="button" onClick=${() => setOpen(new Set())}>Collapse all</button>
      <span class="muted">${shown.length} of ${p.events.length} events</span>
    </div>
    <table class="grid history">
      <caption class="sr-only">Event history</caption>
      <thead>
        <tr><th scope="col">Seq</th><th scope="col">Time (UTC)</th><th scope="col">Offset</th><th scope="col">Type</th><th scope="col">Details</th><th scope="col">Producer</th></tr>
      </thead>
      <tbody>
        ${shown.map((e) => {
          const expanded = open.has(e.seq);
          return html`<tr
              key=${e.seq}
              id=${`ev-${e.seq}`}
              class=${`${isTrouble(e.type, e.data) ? 'trouble' : ''}${p.selected === e.seq ? ' selected' : ''}`}
            >
              <td class="num">${e.seq}</td>
              <td class="mono">${formatClock(e.at)}</td>
              <td class="mono muted">${formatOffset(e.at, start)}</td>
              <td>
                <button type="button" class=${`evtype fam-${eventFamily(e.type)}`} aria-expanded=${expanded} onClick=${() => toggle(e.seq)}>
                  ${expanded ? '▾' : '▸'} ${e.type}
                </button>
              </td>
              <td>${eventWords(e.type, e.data).join('  ')}</td>
              <td class="muted">${e.meta.producer}</td>
            </tr>
            ${expanded ? html`<tr key=${`${e.seq}-json`} class="json-row"><td colspan="6"><${JsonBlock} value=${e} label=${`event ${e.seq} JSON`} /></td></tr>` : null}`;
        })}
      </tbody>
    </table>
  </div>`;
};
