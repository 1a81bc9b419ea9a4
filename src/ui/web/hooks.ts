import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure } from './api.js';

export interface Resource<T> {
  data: T | undefined;
  error: ApiFailure | undefined;
  loading: boolean;
  /**
   * The data (or error) shown was loaded for the current key and no load is under way. With
   * `keep`, `data` may be the previous key's for a moment after the key changes (before the
   * new load has even started): what acts on "the data of this key" waits for `settled`.
   */
  settled: boolean;
  /** Fetches again (the data shown stays until the new data arrives). */
  reload: () => void;
}

const asFailure = (e: unknown): ApiFailure =>
  e instanceof ApiFailure
    ? e
    : new ApiFailure(0, {
        code: 'network_error',
        message: e instanceof Error ? e.message : String(e),
        data: {},
      });

/**
 * Data from `load`, fetched when `key` changes; a reload never races an older answer in. With
 * `keep`, the data of the previous key stays until the new key's data arrives (a preview that
 * follows what is typed does not blink).
 */
export const useResource = <T>(
  load: () => Promise<T>,
  key: string,
  o: { keep?: boolean } = {},
): Resource<T> => {
  const [state, setState] = useState<{ data?: T; error?: ApiFailure; loading: boolean; key: string }>({
    loading: true,
    key,
  });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => {
        if (mine === generation.current) setState({ data, loading: false, key });
      },
      (e: unknown) => {
        if (mine === generation.current) setState({ error: asFailure(e), loading: false, key });
      },
    );
  }, [key]);
  useEffect(() => {
    if (!o.keep) setState((s) => (s.key === key ? s : { loading: true, key }));
    run();
  }, [run, key]);
  const current = state.key === key || o.keep === true;
  return {
    data: current ? state.data : undefined,
    error: current ? state.error : undefined,
    loading: state.loading,
    settled: state.key === key && !state.loading,
    reload: run,
  };
};

/** The current time, ticking every `ms` while `active` (running timelines, "ago" columns). */
export const useNow = (ms: number, active = true): number => {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms, active]);
  return now;
};

/** The width of an element, kept up to date (SVG charts draw to it). */
export const useWidth = <E extends HTMLElement>(fallback: number): [{ current: E | null }, number] => {
  const ref = useRef<E | null>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(320, Math.floor(el.clientWidth))));
    observer.observe(el);
    setWidth(Math.max(320, Math.floor(el.clientWidth)));
    return () => observer.disconnect();
  }, []);
  return [ref, width];
};

/** `value`, once it has stopped changing for `ms` (what a preview asks the server about). */
export const useDebounced = <T>(value: T, ms: number): T => {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(t);
  }, [JSON.stringify(value), ms]);
  return settled;
};
