import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { LILY_VERSION } from '../../client/version.js';
import { LilyError } from '../../contracts/errors.js';
import type { SessionInfo } from '../model/wire.js';
import { ClientHolder } from './client-holder.js';
import { readJsonBody, SECURITY_HEADERS, sendError, sendJson, sendThrown } from './http.js';
import { LiveFeed } from './live.js';
import { Router } from './router.js';
import { actionRoutes } from './routes-actions.js';
import { deploymentRoutes } from './routes-deployment.js';
import { jobRoutes } from './routes-jobs.js';
import { artifactBytes, runRoutes } from './routes-runs.js';
import { ConsoleSecurity, type Principal } from './security.js';
import { defaultAssetsDir, StaticAssets } from './static.js';

export interface ConsoleOptions {
  /** The project directory (holding `.lily/`); else found by walking up from the current directory. */
  dir?: string;
  /** A NATS url where the engine listens (else the project's deployment, `LILY_NATS_URL`, the config). */
  nats?: string;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (a free one). */
  port?: number;
  /** Who the console acts as: the `by` of cancels, answers and resolutions (default: the OS user). */
  identity?: string;
  /** The built page (default: dist/ui/public beside the compiled server). */
  assetsDir?: string;
  /** The per-start secret (default: 32 random bytes). Tests pass their own. */
  token?: string;
}

export interface RunningConsole {
  /** The URL to open: the console's origin with the secret in its fragment (never sent to a server). */
  url: string;
  /** The origin alone (`http://host:port`). */
  origin: string;
  host: string;
  port: number;
  token: string;
  /** The project the console shows. */
  project: string;
  /** False when the page was not built (the API still answers). */
  pageBuilt: boolean;
  close(): Promise<void>;
}

const ROUTES = new Router([...runRoutes, ...actionRoutes, ...jobRoutes, ...deploymentRoutes]);

const osUser = (): string => {
  try {
    return userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
};

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

interface State {
  security: ConsoleSecurity;
  holder: ClientHolder;
  feed: LiveFeed;
  assets: StaticAssets;
  identity: string;
  namespace?: string;
}

/** The project's namespace, read once (it comes with the deployment status, which pings every process). */
const namespaceOf = async (s: State): Promise<string | null> => {
  if (s.namespace === undefined) {
    try {
      s.namespace = (await s.holder.client.deployment.status()).namespace;
    } catch {
      return null;
    }
  }
  return s.namespace;
};

const sessionInfo = async (s: State, csrf: string): Promise<SessionInfo> => {
  const client = s.holder.client;
  return {
    csrf,
    project: client.location.dir,
    namespace: await namespaceOf(s),
    identity: s.identity,
    version: LILY_VERSION,
    live: s.feed.live,
  };
};

/** `/api/session`: POST with the secret opens a session (the cookie); GET with the cookie reads it. */
const session = async (
  s: State,
  req: IncomingMessage,
  res: ServerResponse,
  who: Principal,
): Promise<void> => {
  if (req.method === 'POST') {
    const refused = s.security.checkStateChange(req, who);
    if (refused) return sendError(res, refused.status, refused.code, refused.message);
    const opened = s.security.openSession();
    return sendJson(res, 200, await sessionInfo(s, opened.csrf), { 'Set-Cookie': s.security.cookie(opened) });
  }
  if (who.via !== 'session')
    return sendError(res, 400, 'usage_invalid', 'POST here with the secret to open a session');
  return sendJson(res, 200, await sessionInfo(s, who.session.csrf));
};

const artifact = async (s: State, res: ServerResponse, sha: string): Promise<void> => {
  const { bytes, name } = await artifactBytes(s.holder.client, sha);
  // Raw bytes, never rendered as a page: a download, no sniffing, a sandbox if opened anyway.
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(bytes.length),
    'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}"`,
    'Content-Security-Policy': 'sandbox',
    'Cache-Control': 'no-store',
  });
  res.end(bytes);
};

const api = async (s: State, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
  const who = s.security.authenticate(req);
  if ('status' in who) return sendError(res, who.status, who.code, who.message);
  const path = url.pathname;
  if (path === '/api/session') return session(s, req, res, who);
  if (req.method === 'GET' && path === '/api/live') {
    return s.feed.attach(res, url.searchParams.get('run') ?? undefined);
  }
  const content = /^\/api\/artifacts\/([^/]+)\/content$/.exec(path);
  if (req.method === 'GET' && content) return artifact(s, res, content[1] ?? '');
  const match = ROUTES.match(req.method ?? '', path);
  if (match === undefined) return sendError(res, 404, 'ui_not_found', `no API ${path}`);
  if (match === 'method_not_allowed')
    return sendError(res, 405, 'ui_method_not_allowed', `${req.method} ${path}`);
  if (match.route.method === 'POST') {
    const refused = s.security.checkStateChange(req, who);
    if (refused) return sendError(res, refused.status, refused.code, refused.message);
  }
  const body = match.route.method === 'POST' ? await readJsonBody(req) : {};
  const data = await match.route.handle({
    params: match.params,
    query: url.searchParams,
    body,
    client: s.holder.client,
    live: s.feed.live,
    identity: s.identity,
  });
  sendJson(res, 200, data);
};

const handler = (s: State) => async (req: IncomingMessage, res: ServerResponse) => {
  try {
    const badHost = s.security.checkHost(req);
    if (badHost) return sendError(res, badHost.status, badHost.code, badHost.message);
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    if (url.pathname.startsWith('/api/')) return await api(s, req, res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendError(res, 405, 'ui_method_not_allowed', req.method ?? '');
    return await s.assets.serve(res, url.pathname);
  } catch (e) {
    if (res.headersSent) res.end();
    else sendThrown(res, e);
  }
};

const listen = (server: Server, host: string, port: number): Promise<AddressInfo> =>
  new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new LilyError('usage_invalid', `cannot listen on ${host}:${port}: ${e.code ?? e.message}`, {
          reason: 'listen',
          host,
          port,
          errno: e.code ?? null,
        }),
      ),
    );
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });

/**
 * Starts the web console: an HTTP server on `host:port` (127.0.0.1 and a free port by default)
 * serving the built page and a JSON API backed by a `LilyClient` of the project (opened with
 * origin `ui`, never starting an engine of its own), and a live feed of the namespace's events.
 * Every API call needs the per-start secret (see `ConsoleSecurity`). Throws
 * `project_not_initialized` (no `.lily/`), `usage_invalid` (the port is taken, a bad host).
 *
 * @example
 * const ui = await startConsole({ dir: '/tmp/lily-demo' });
 * console.log(ui.url); // http://127.0.0.1:41234/#token=...
 */
export const startConsole = async (o: ConsoleOptions = {}): Promise<RunningConsole> => {
  const identity = o.identity ?? osUser();
  const holder = await ClientHolder.open({
    ...(o.dir !== undefined ? { dir: o.dir } : {}),
    ...(o.nats !== undefined ? { nats: o.nats } : {}),
    identity,
    origin: 'ui',
    ephemeral: false,
  });
  try {
    await holder.client.jobs.list(); // project_not_initialized / config_invalid now, not on the first page load
  } catch (e) {
    await holder.close();
    throw e;
  }
  const host = o.host ?? '127.0.0.1';
  const server = createServer();
  server.headersTimeout = 20_000;
  let address: AddressInfo;
  try {
    address = await listen(server, host, o.port ?? 0);
  } catch (e) {
    await holder.close();
    throw e;
  }
  const security = new ConsoleSecurity({
    host,
    port: address.port,
    ...(o.token !== undefined ? { token: o.token } : {}),
  });
  const feed = new LiveFeed(holder);
  const assets = new StaticAssets(o.assetsDir ?? defaultAssetsDir());
  server.on('request', handler({ security, holder, feed, assets, identity }));
  feed.start();
  const origin = `http://${urlHost(host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host)}:${address.port}`;
  return {
    url: `${origin}/#token=${security.token}`,
    origin,
    host,
    port: address.port,
    token: security.token,
    project: holder.client.location.dir,
    pageBuilt: assets.built,
    close: async () => {
      await feed.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await holder.close();
    },
  };
};
