import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Why a request was refused before it reached a handler. */
export interface Refused {
  status: 401 | 403 | 415 | 421;
  code: 'ui_unauthorized' | 'ui_forbidden' | 'ui_bad_host' | 'ui_bad_content_type';
  message: string;
}

/** Who a request was authenticated as: a browser session (cookie) or a script (bearer token). */
export type Principal = { via: 'session'; session: Session } | { via: 'token' };

export interface Session {
  id: string;
  /** Sent back by the page in `X-Lily-Csrf` on every state-changing call. */
  csrf: string;
  createdAt: number;
}

const secret = (): string => randomBytes(32).toString('base64url');

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const cookies = (req: IncomingMessage): Map<string, string> => {
  const out = new Map<string, string>();
  for (const part of (header(req, 'cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return out;
};

/** `host:port` split, with IPv6 brackets kept off the host. */
const splitHost = (value: string): { host: string; port: string } | undefined => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d+))?$/.exec(value);
  if (!m) return undefined;
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '').toLowerCase();
  return { host, port: m[2] ?? '80' };
};

/**
 * The console's defences, one object per start: the secret printed in the URL, the sessions
 * it was exchanged for, and the checks every request goes through.
 *
 * - **DNS rebinding**: the `Host` header must name this port and either an IP literal,
 *   `localhost`, or the host the console was started on; a page on a rebound domain sends its
 *   own domain and is refused (421).
 * - **Authentication**: every API call needs the session cookie (HttpOnly, SameSite=Strict,
 *   per port) or `Authorization: Bearer <secret>` (scripts). The cookie is only ever issued
 *   against the secret.
 * - **Cross-site requests**: no CORS headers are ever sent; a state-changing call must be a
 *   POST with `Content-Type: application/json` (so a cross-site form cannot send it and a
 *   cross-site fetch needs a preflight that is never granted), an `Origin` (when present)
 *   equal to this console's origin, `Sec-Fetch-Site` (when present) `same-origin`, and with a
 *   session, the session's CSRF value in `X-Lily-Csrf`.
 */
export class ConsoleSecurity {
  /** The per-start secret: in the printed URL's fragment, never logged by the server. */
  readonly token: string;
  readonly cookieName: string;
  readonly #sessions = new Map<string, Session>();
  readonly #startHost: string;
  readonly #port: string;
  readonly #now: () => number;

  constructor(o: { host: string; port: number; token?: string; now?: () => number }) {
    this.token = o.token ?? secret();
    this.#startHost = (splitHost(o.host)?.host ?? o.host).toLowerCase();
    this.#port = String(o.port);
    this.cookieName = `lily_ui_${o.port}`;
    this.#now = o.now ?? Date.now;
  }

  /** Refuses a `Host` this console does not answer to (DNS rebinding). */
  checkHost(req: IncomingMessage): Refused | undefined {
    const parsed = splitHost(header(req, 'host') ?? '');
    const ok =
      parsed !== undefined &&
      parsed.port === this.#port &&
      (isIP(parsed.host) !== 0 || parsed.host === 'localhost' || parsed.host === this.#startHost);
    if (ok) return undefined;
    return {
      status: 421,
      code: 'ui_bad_host',
      message: 'this console answers only to an IP address, localhost or the host it was started on',
    };
  }

  /** The authenticated principal, or why there is none (401). */
  authenticate(req: IncomingMessage): Principal | Refused {
    const auth = header(req, 'authorization');
    if (auth?.startsWith('Bearer ') && sameSecret(auth.slice('Bearer '.length).trim(), this.token)) {
      return { via: 'token' };
    }
    const id = cookies(req).get(this.cookieName);
    const session = id === undefined ? undefined : this.#sessions.get(id);
    if (session) return { via: 'session', session };
    return {
      status: 401,
      code: 'ui_unauthorized',
      message: 'open the URL `lily ui` printed (it carries the secret of this start)',
    };
  }

  /** Refuses a state-changing request that could come from another site (403) or is not JSON (415). */
  checkStateChange(req: IncomingMessage, who: Principal): Refused | undefined {
    const forbidden = (message: string): Refused => ({ status: 403, code: 'ui_forbidden', message });
    const site = header(req, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') {
      return forbidden(`cross-site request refused (Sec-Fetch-Site: ${site})`);
    }
    const origin = header(req, 'origin');
    if (origin !== undefined && origin !== `http://${header(req, 'host') ?? ''}`) {
      return forbidden(`cross-origin request refused (Origin: ${origin})`);
    }
    if (who.via === 'session') {
      if (origin === undefined) return forbidden('a browser request without Origin is refused');
      const csrf = header(req, 'x-lily-csrf') ?? '';
      if (!sameSecret(csrf, who.session.csrf)) return forbidden('missing or wrong X-Lily-Csrf header');
    }
    const type = (header(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/json') {
      return { status: 415, code: 'ui_bad_content_type', message: 'send Content-Type: application/json' };
    }
    return undefined;
  }

  /** A new browser session for a request that proved the secret (bearer token). */
  openSession(): Session {
    const session: Session = { id: secret(), csrf: secret(), createdAt: this.#now() };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The Set-Cookie value of a session: HttpOnly, SameSite=Strict, whole console, no expiry (ends with the browser). */
  cookie(session: Session): string {
    return `${this.cookieName}=${session.id}; Path=/; HttpOnly; SameSite=Strict`;
  }
}
