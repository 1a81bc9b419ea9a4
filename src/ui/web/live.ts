import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveMessage } from '../model/wire.js';

type EventNotice = Extract<LiveMessage, { kind: 'event' }>;
type Listener = (n: EventNotice | 'resync') => void;

const listeners = new Set<Listener>();
const statusListeners = new Set<(live: boolean) => void>();
let live = false;

const setLive = (next: boolean) => {
  const wasDown = !live;
  live = next;
  for (const l of statusListeners) l(next);
  // Coming back: what was published meanwhile is lost to the feed, so everyone re-reads the log.
  if (next && wasDown) for (const l of listeners) l('resync');
};

/** Connects the page to /api/live once; EventSource reconnects by itself (retry 2 s). */
export const connectLive = (): void => {
  const source = new EventSource('/api/live');
  source.onmessage = (m: MessageEvent<string>) => {
    const msg = JSON.parse(m.data) as LiveMessage;
    if (msg.kind === 'event') for (const l of listeners) l(msg);
    else setLive(msg.live);
  };
  source.onerror = () => setLive(false);
};

/** True while the server's feed is connected to NATS. */
export const useLiveStatus = (): boolean => {
  const [value, setValue] = useState(live);
  useEffect(() => {
    statusListeners.add(setValue);
    setValue(live); // the feed may have answered between the first render and this subscription
    return () => void statusListeners.delete(setValue);
  }, []);
  return value;
};

/**
 * Calls `reload` (at most every 300 ms) when a live notice matches `matches`, and after the feed
 * comes back from a disconnection. The page re-reads the log: notices only say it grew.
 */
export const useLiveReload = (reload: () => void, matches: (n: EventNotice) => boolean): void => {
  const ref = useRef({ reload, matches });
  ref.current = { reload, matches };
  useEffect(() => {
    let timer: number | undefined;
    const listener: Listener = (n) => {
      if (n !== 'resync' && !ref.current.matches(n)) return;
      if (timer !== undefined) return;
      timer = window.setTimeout(() => {
        timer = undefined;
        ref.current.reload();
      }, 300);
    };
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, []);
};
