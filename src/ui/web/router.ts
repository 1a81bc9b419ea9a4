import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';

const subscribers = new Set<() => void>();

/** Goes to `path` inside the console (history API; the server serves the page for every path). */
export const navigate = (path: string, o: { replace?: boolean } = {}): void => {
  if (o.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.scrollTo(0, 0);
  for (const s of subscribers) s();
};

/** The current path and query, re-rendered on navigation. */
export const useLocation = (): { path: string; query: URLSearchParams } => {
  const [, force] = useState(0);
  useEffect(() => {
    const update = () => force((n) => n + 1);
    subscribers.add(update);
    window.addEventListener('popstate', update);
    return () => {
      subscribers.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return { path: location.pathname, query: new URLSearchParams(location.search) };
};

/** An in-console link: a real `<a href>` (open in a new tab works) that navigates without a reload. */
export const Link = (p: {
  href: string;
  class?: string;
  children?: unknown;
  title?: string;
  'aria-label'?: string;
}) =>
  html`<a
    href=${p.href}
    class=${p.class}
    title=${p.title}
    aria-label=${p['aria-label']}
    onClick=${(e: MouseEvent) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(p.href);
    }}
    >${p.children}</a
  >`;
