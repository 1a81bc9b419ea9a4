import type { SessionInfo } from '../model/wire.js';
import { Toasts } from './components/toast.js';
import { html } from './html.js';
import { useLiveStatus } from './live.js';
import { ApprovalsPage } from './pages/approvals.js';
import { DeploymentPage } from './pages/deployment.js';
import { JobPage } from './pages/job.js';
import { JobsPage } from './pages/jobs.js';
import { RunPage } from './pages/run.js';
import { RunsPage } from './pages/runs.js';
import { Link, useLocation } from './router.js';

const NAV = [
  { href: '/', label: 'Runs', active: (p: string) => p === '/' || p.startsWith('/runs') },
  { href: '/approvals', label: 'Approvals', active: (p: string) => p.startsWith('/approvals') },
  { href: '/jobs', label: 'Jobs', active: (p: string) => p.startsWith('/jobs') },
  { href: '/deployment', label: 'Deployment', active: (p: string) => p.startsWith('/deployment') },
];

const page = (path: string) => {
  const run = /^\/runs\/([^/]+)$/.exec(path);
  if (run) return html`<${RunPage} runId=${decodeURIComponent(run[1] ?? '')} />`;
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job) return html`<${JobPage} jobId=${decodeURIComponent(job[1] ?? '')} />`;
  if (path === '/approvals') return html`<${ApprovalsPage} />`;
  if (path === '/jobs') return html`<${JobsPage} />`;
  if (path === '/deployment') return html`<${DeploymentPage} />`;
  if (path === '/' || path === '/runs') return html`<${RunsPage} />`;
  return html`<main id="main"><h1>Not found</h1><p>No page at ${path}. <${Link} href="/">Runs</${Link}></p></main>`;
};

/** The console: a header (project, live feed, who acts), the navigation, the page of the URL. */
export const App = (p: { session: SessionInfo }) => {
  const { path } = useLocation();
  const live = useLiveStatus();
  return html`<div class="shell">
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <${Link} href="/" class="brand" aria-label="Lily console home">lily</${Link}>
      <nav aria-label="Sections">
        ${NAV.map(
          (n) =>
            html`<${Link} href=${n.href} class=${n.active(path) ? 'nav active' : 'nav'}>${n.label}</${Link}>`,
        )}
      </nav>
      <div class="top-right">
        <span class="project mono" title="project">${p.session.project}</span>
        <span
          class=${live ? 'live on' : 'live off'}
          role="status"
          title=${live ? 'live updates from NATS' : 'no live updates: no NATS reachable (the page re-reads when it comes back)'}
          >${live ? '● live' : '○ offline'}</span
        >
        <span class="muted" title="who the console acts as">as ${p.session.identity}</span>
      </div>
    </header>
    ${page(path)}
    <${Toasts} />
  </div>`;
};
