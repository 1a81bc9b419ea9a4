/**
 * The console's HTTP server from the sources, on a project without a deployment (no NATS):
 * the page, the session exchange, every refusal of the security model, the JSON API read from
 * the log, previews, and the rule that the console never starts an engine of its own.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../../../src/ui/index.js';
import { tempProject } from '../../helpers/lily-project.js';

let project: Awaited<ReturnType<typeof tempProject>>;
let ui: RunningConsole;
let cookie: string;
let csrf: string;

const api = (path: string, init: RequestInit = {}) => fetch(`${ui.origin}${path}`, init);
const bearer = () => ({ Authorization: `Bearer ${ui.token}` });
const asPage = (extra: Record<string, string> = {}) => ({
  cookie,
  origin: ui.origin,
  'content-type': 'application/json',
  'x-lily-csrf': csrf,
  ...extra,
});

beforeAll(async () => {
  project = await tempProject('lily-ui-int-');
  const assets = join(project.dir, 'assets');
  mkdirSync(assets);
  writeFileSync(join(assets, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(assets, 'main.js'), 'export {};');
  ui = await startConsole({ dir: project.dir, assetsDir: assets, identity: 'tester' });
}, 60_000);

afterAll(async () => {
  await ui?.close();
  project?.remove();
});

describe('the console server', () => {
  it('binds 127.0.0.1 on a free port and prints the secret in the fragment only', () => {
    expect(ui.host).toBe('127.0.0.1');
    expect(ui.url).toBe(`${ui.origin}/#token=${ui.token}`);
    expect(ui.pageBuilt).toBe(true);
  });

  it('serves the page without the secret (it holds no data), with a strict CSP; any path routes to it', async () => {
    for (const path of ['/', '/runs/01J9ZK3M5XQ4T7V2B8N6C1D0EF', '/approvals']) {
      const res = await api(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(await res.text()).toContain('<title>console</title>');
    }
    const js = await api('/main.js');
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await api('/../../.lily/config.yaml')).headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('refuses every API call without the secret (401), and a POST of the page without Origin or CSRF (403)', async () => {
    for (const path of [
      '/api/runs',
      '/api/jobs',
      '/api/approvals',
      '/api/deployment',
      '/api/live',
      '/api/session',
    ]) {
      const res = await api(path);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ui_unauthorized');
    }
    const opened = await api('/api/session', {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(opened.status).toBe(200);
    const setCookie = opened.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^lily_ui_\d+=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
    cookie = setCookie.split(';')[0] as string;
    const info = (await opened.json()) as { csrf: string; project: string; identity: string; live: boolean };
    expect(info).toMatchObject({ project: project.dir, identity: 'tester', live: false });
    csrf = info.csrf;
    const again = (await (await api('/api/session', { headers: { cookie } })).json()) as { csrf: string };
    expect(again.csrf).toBe(csrf);

    const post = (headers: Record<string, string>) =>
      api('/api/jobs/hello/run/preview', { method: 'POST', headers, body: '{}' });
    expect((await post(asPage())).status).toBe(200);
    const { origin: _o, ...noOrigin } = asPage();
    expect((await post(noOrigin)).status).toBe(403);
    expect((await post(asPage({ 'x-lily-csrf': 'guess' }))).status).toBe(403);
    expect((await post(asPage({ origin: 'http://evil.example' }))).status).toBe(403);
    expect((await post(asPage({ 'content-type': 'text/plain' }))).status).toBe(415);
    const noCors = await post(asPage());
    expect(noCors.headers.get('access-control-allow-origin')).toBeNull();
    expect((await api('/api/runs', { method: 'OPTIONS', headers: { cookie } })).status).toBe(405);
  });

  it('reads the project through the client: jobs with their plan, an empty log, the deployment down', async () => {
    const runs = await (await api('/api/runs', { headers: { cookie } })).json();
    expect(runs).toEqual({ runs: [], total: 0 });
    const jobs = (await (await api('/api/jobs', { headers: { cookie } })).json()) as {
      jobs: { id: string; trigger: unknown; next: number[] }[];
    };
    expect(jobs.jobs).toEqual([
      expect.objectContaining({ id: 'hello', trigger: { manual: true }, next: [] }),
    ]);
    const hello = (await (await api('/api/jobs/hello', { headers: { cookie } })).json()) as {
      plan: { planHash: string; steps: { id: string }[] };
    };
    expect(hello.plan.steps.map((s) => s.id)).toEqual(['greet', 'versions', 'done']);
    expect(hello.plan.planHash).toMatch(/^[0-9a-f]{64}$/);
    const dep = (await (await api('/api/deployment', { headers: { cookie } })).json()) as Record<
      string,
      unknown
    >;
    expect(dep).toMatchObject({
      up: false,
      healthy: false,
      processes: [],
      inFlight: [],
      refusals: { total: 0 },
      live: false,
    });
  });

  it('answers unknown runs and APIs with their codes: 404 run_not_found, 404 ui_not_found, 405, 400 usage_invalid', async () => {
    const missing = await api('/api/runs/01J9ZK3M5XQ4T7V2B8N6C1D0EF', { headers: { cookie } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('run_not_found');
    expect((await api('/api/nothing', { headers: { cookie } })).status).toBe(404);
    expect((await api('/api/runs/x/cancel', { headers: { cookie } })).status).toBe(405);
    const badStatus = await api('/api/runs?status=sleeping', { headers: { cookie } });
    expect(badStatus.status).toBe(400);
    expect(((await badStatus.json()) as { error: { code: string } }).error.code).toBe('usage_invalid');
    const badBody = await api('/api/jobs/hello/run/preview', {
      method: 'POST',
      headers: asPage(),
      body: '[1]',
    });
    expect(badBody.status).toBe(400);
  });

  it('previews a job run, and never starts an engine of its own to run it (503 bus_unavailable)', async () => {
    const preview = (await (
      await api('/api/jobs/hello/run/preview', {
        method: 'POST',
        headers: asPage(),
        body: '{"input":{"who":"ui"},"dryRun":true}',
      })
    ).json()) as { allowed: boolean; effects: string[]; facts: { input: unknown; dryRun: boolean } };
    expect(preview.allowed).toBe(true);
    expect(preview.effects.join(' ')).toMatch(/3 step\(s\): greet, versions, done/);
    expect(preview.facts).toMatchObject({ input: { who: 'ui' }, dryRun: true });
    const run = await api('/api/jobs/hello/run', { method: 'POST', headers: asPage(), body: '{}' });
    expect(run.status).toBe(503);
    expect(((await run.json()) as { error: { code: string } }).error.code).toBe('bus_unavailable');
    expect(
      (await (await api('/api/runs', { headers: { cookie } })).json()) as { total: number },
    ).toMatchObject({ total: 0 });
  });

  it('streams server-sent events to a session: hello with the feed down (no NATS)', async () => {
    const controller = new AbortController();
    const res = await api('/api/live', { headers: { cookie }, signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('"kind":"hello"')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('data: {"kind":"hello","live":false}');
    controller.abort();
  });
});
