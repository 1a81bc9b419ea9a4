import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConsoleSecurity, type Principal } from '../../../src/ui/server/security.js';

const PORT = 41234;
const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const security = () => new ConsoleSecurity({ host: '127.0.0.1', port: PORT, token: 'the-secret' });

describe('the console checks every request', () => {
  it('answers only to an IP address, localhost or its start host, on its own port (DNS rebinding)', () => {
    const s = security();
    for (const host of [`127.0.0.1:${PORT}`, `localhost:${PORT}`, `[::1]:${PORT}`, `LOCALHOST:${PORT}`]) {
      expect(s.checkHost(req({ host }))).toBeUndefined();
    }
    for (const host of [
      `evil.example:${PORT}`,
      `127.0.0.1:${PORT + 1}`,
      '127.0.0.1',
      'localhost.evil.example',
      '',
    ]) {
      expect(s.checkHost(req({ host }))?.status).toBe(421);
    }
    const named = new ConsoleSecurity({ host: 'devbox.lan', port: PORT });
    expect(named.checkHost(req({ host: `devbox.lan:${PORT}` }))).toBeUndefined();
    expect(named.checkHost(req({ host: `other.lan:${PORT}` }))?.status).toBe(421);
  });

  it('authenticates the secret as a bearer token, or the cookie of a session opened with it', () => {
    const s = security();
    expect(s.authenticate(req({}))).toMatchObject({ status: 401, code: 'ui_unauthorized' });
    expect(s.authenticate(req({ authorization: 'Bearer wrong' }))).toMatchObject({ status: 401 });
    expect(s.authenticate(req({ authorization: 'Bearer the-secret' }))).toEqual({ via: 'token' });
    const session = s.openSession();
    const cookie = s.cookie(session);
    expect(cookie).toMatch(/^lily_ui_41234=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const id = cookie.split(';')[0] as string;
    expect(s.authenticate(req({ cookie: `other=1; ${id}` }))).toEqual({ via: 'session', session });
    expect(s.authenticate(req({ cookie: `lily_ui_41234=forged` }))).toMatchObject({ status: 401 });
    expect(s.authenticate(req({ cookie: id.replace('41234', '9999') }))).toMatchObject({ status: 401 });
    expect(new ConsoleSecurity({ host: '127.0.0.1', port: PORT }).token).toMatch(/^[\w-]{43}$/);
  });

  it('lets a state change through only same-origin, as JSON, with the session CSRF value', () => {
    const s = security();
    const session = s.openSession();
    const who: Principal = { via: 'session', session };
    const ok = {
      host: `127.0.0.1:${PORT}`,
      origin: `http://127.0.0.1:${PORT}`,
      'content-type': 'application/json',
      'x-lily-csrf': session.csrf,
      'sec-fetch-site': 'same-origin',
    };
    expect(s.checkStateChange(req(ok), who)).toBeUndefined();
    expect(s.checkStateChange(req({ ...ok, origin: 'http://evil.example' }), who)?.status).toBe(403);
    expect(s.checkStateChange(req({ ...ok, 'sec-fetch-site': 'cross-site' }), who)?.status).toBe(403);
    expect(s.checkStateChange(req({ ...ok, 'x-lily-csrf': 'guess' }), who)?.status).toBe(403);
    const { origin: _o, ...noOrigin } = ok;
    expect(s.checkStateChange(req(noOrigin), who)?.status).toBe(403);
    expect(s.checkStateChange(req({ ...ok, 'content-type': 'text/plain' }), who)?.status).toBe(415);
    expect(
      s.checkStateChange(req({ ...ok, 'content-type': 'application/x-www-form-urlencoded' }), who)?.status,
    ).toBe(415);
    // A script with the secret sends no Origin and no CSRF value; a browser page of another origin still may not.
    const script = { host: `127.0.0.1:${PORT}`, 'content-type': 'application/json' };
    expect(s.checkStateChange(req(script), { via: 'token' })).toBeUndefined();
    expect(
      s.checkStateChange(req({ ...script, origin: 'http://evil.example' }), { via: 'token' })?.status,
    ).toBe(403);
  });
});
