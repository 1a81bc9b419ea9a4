import type { ApiError, SessionInfo } from '../model/wire.js';

/** An API call that failed: the server's error code and message, and the HTTP status. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly data: Record<string, unknown>;

  constructor(status: number, e: ApiError['error']) {
    super(e.message);
    this.status = status;
    this.code = e.code;
    this.data = e.data;
  }
}

let csrf = '';

const failure = async (res: Response): Promise<ApiFailure> => {
  try {
    const body = (await res.json()) as ApiError;
    return new ApiFailure(res.status, body.error);
  } catch {
    return new ApiFailure(res.status, {
      code: 'http_error',
      message: `${res.status} ${res.statusText}`,
      data: {},
    });
  }
};

/** GET an API path (the session cookie goes along); throws ApiFailure. */
export const get = async <T>(path: string): Promise<T> => {
  const res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
};

/** POST JSON to an API path with the session's CSRF value; throws ApiFailure. */
export const post = async <T>(path: string, body: unknown = {}): Promise<T> => {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Lily-Csrf': csrf },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
};

/** The artifact's bytes as text (for a preview). */
export const artifactText = async (sha: string): Promise<string> => {
  const res = await fetch(`/api/artifacts/${sha}/content`, { credentials: 'same-origin' });
  if (!res.ok) throw await failure(res);
  return res.text();
};

/**
 * The session: a URL `#token=...` (what `lily ui` printed) is exchanged for the session cookie
 * and removed from the address bar; otherwise the cookie of an earlier exchange is used.
 * Throws ApiFailure 401 when there is neither.
 */
export const openSession = async (): Promise<SessionInfo> => {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  let info: SessionInfo;
  if (token) {
    history.replaceState(history.state, '', location.pathname + location.search);
    const res = await fetch('/api/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: '{}',
    });
    if (!res.ok) throw await failure(res);
    info = (await res.json()) as SessionInfo;
  } else {
    info = await get<SessionInfo>('/api/session');
  }
  csrf = info.csrf;
  return info;
};
