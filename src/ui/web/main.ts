import { render } from 'preact';
import type { ApiFailure } from './api.js';
import { openSession } from './api.js';
import { App } from './app.js';
import { html } from './html.js';
import { connectLive } from './live.js';

const root = document.getElementById('app') as HTMLElement;

const show = (vnode: ReturnType<typeof html>) => {
  root.textContent = ''; // the boot message: preact renders beside existing children, not over them
  render(vnode, root);
};

const SignedOut = (p: { error: ApiFailure }) =>
  html`<main id="main" class="signed-out">
    <h1>Lily console</h1>
    <p role="alert">${p.error.status === 401 ? 'This console needs the secret of its start.' : p.error.message}</p>
    <p>Open the URL that <code>lily ui</code> printed (it ends in <code>#token=…</code>).</p>
  </main>`;

openSession().then(
  (session) => {
    connectLive();
    show(html`<${App} session=${session} />`);
  },
  (e: ApiFailure) => show(html`<${SignedOut} error=${e} />`),
);
