/**
 * `lily ui` in a real browser (Debian's chromium through playwright-core) against a real
 * deployment: `lily init` + `lily up --workers 1` in a temp project, runs that succeeded,
 * failed after retries and wait for an approval. The runs list shows them, a run's page draws
 * its timeline, approving and cancelling from the console act through the operator's client
 * (checked with the CLI afterwards), the per-start secret is required, cross-site requests are
 * refused, and the browser console stays free of errors.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Background, lily, lilyBackground, ROOT, requireBuild } from './cli-live-process.js';
import { type Browser, CHROMIUM, chromiumMissing, launchBrowser } from './ui-browser.js';

let dir: string;
let console_: Background;
let origin: string;
let url: string;
let browser: Browser;
const runs: Record<string, string> = {};

const at = (...args: string[]) => lily([...args, '--dir', dir]);
const receipt = (runId: string) =>
  at('runs', 'show', runId, '--json').json() as {
    status: string;
    cancel: { by: string; reason: string | null } | null;
    approvals: { status: string; by: string; comment: string | null }[];
    steps: { stepId: string; attempts: unknown[] }[];
  };
const requested = (job: string): string => {
  const r = at('jobs', 'run', job, '--json');
  expect(r.code, r.stderr).toBe(0);
  return (r.json() as { runId: string }).runId;
};
const untilStatus = async (runId: string, want: RegExp, timeoutMs = 30_000) => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = receipt(runId).status;
    if (want.test(status)) return status;
    if (Date.now() > until) throw new Error(`run ${runId} is ${status}, not ${want}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};
const untilRunning = async (runId: string, stepId: string) => {
  const until = Date.now() + 30_000;
  while (!(at('runs', 'events', runId).stdout.match(new RegExp(`step\\.started\\s+${stepId}#1`)) ?? null)) {
    if (Date.now() > until) throw new Error(`step ${stepId} of ${runId} never started`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** Runs `steps`; when a wait in them fails, the error also says what the page and the run's log show. */
const explained = async (page: Page, runId: () => string | undefined, steps: () => Promise<void>) => {
  try {
    await steps();
  } catch (e) {
    const id = runId();
    const tail = id ? at('runs', 'events', id).stdout.trim().split('\n').slice(-8).join('\n') : '';
    const why = `\n--- the page\n${await browser.describe(page)}\n--- run ${id ?? '(none)'}\n${tail}`;
    if (e instanceof Error) e.message += why;
    throw e;
  }
};

/** After a re-run was confirmed on `parentId`'s page: the new run's id, once its page shows `status`. */
const untilNewRunPage = async (page: Page, parentId: string, status: string): Promise<string> => {
  let child: string | undefined;
  await explained(
    page,
    () => child ?? parentId,
    async () => {
      await page.waitForURL(
        (u) => /^\/runs\/[0-9A-Z]{26}$/.test(u.pathname) && !u.pathname.endsWith(parentId),
      );
      child = page.url().split('/').at(-1) as string;
      await page.locator('.page-head').getByText(status, { exact: true }).waitFor({ timeout: 30_000 });
    },
  );
  return child as string;
};

const JOBS: Record<string, string> = {
  flaky:
    'id: flaky\ntitle: fails after retries\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 60000, max_attempts: 3 }\nbindings:\n  steps:\n    - { id: prepare, run: [echo, ready] }\n    - { id: flake, run: [node, -e, "console.error(\'boom\'); process.exit(3)"], retries: 2, backoff_ms: 300 }\n',
  gated:
    'id: gated\ntitle: waits for a human\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 600000 }\nbindings:\n  steps:\n    - { id: build, run: [node, -e, "setTimeout(() => console.log(\'built\'), 150)"], gates: [{ id: lint, run: [echo, lint ok] }] }\n    - { id: ship, run: [echo, shipped] }\n',
  nightly:
    'id: nightly\ntitle: every night at three, Paris time\ntarget: { kind: blueprint, id: pipeline.v1 }\ntrigger: { cron: "0 3 * * *", timezone: Europe/Paris }\nbindings:\n  steps:\n    - { id: tidy, run: [echo, tidy] }\n',
  slow: 'id: slow\ntitle: sleeps until cancelled\ntarget: { kind: blueprint, id: pipeline.v1 }\nruntime: { timeout_ms: 600000 }\nbindings:\n  steps:\n    - { id: nap, run: [node, -e, "setTimeout(() => {}, 60000)"], timeout_ms: 300000 }\n',
};

/** A page of another origin (another port) that tries to act on the console with the browser's cookie. */
const evilServer = (target: string, runId: string): Promise<{ server: Server; origin: string }> =>
  new Promise((resolve) => {
    const page = `<!doctype html><html><body>
<form id="f" method="POST" action="${target}/api/runs/${runId}/cancel" enctype="text/plain" target="sink"><input name='{"reason":"evil","x":"' value='"}'></form>
<iframe name="sink"></iframe>
<script>
  window.results = [];
  fetch('${target}/api/runs/${runId}/cancel', { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'application/json' }, body: '{"reason":"evil"}' })
    .then((r) => window.results.push('fetch ' + r.status), (e) => window.results.push('fetch blocked'));
  fetch('${target}/api/runs/${runId}/cancel', { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"reason":"evil"}' })
    .then((r) => window.results.push('no-cors ' + r.type), (e) => window.results.push('no-cors blocked'));
  document.getElementById('f').submit();
</script></body></html>`;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(page);
    });
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      resolve({ server, origin: `http://127.0.0.1:${address.port}` });
    });
  });

const openConsole = async (path = '/'): Promise<Page> => {
  const page = await browser.page();
  await page.goto(path === '/' ? url : `${origin}${path}`);
  return page;
};

describe.skipIf(chromiumMissing)('lily ui in chromium against a real deployment', () => {
  beforeAll(async () => {
    requireBuild();
    if (!existsSync(join(ROOT, 'dist/ui/public/index.html'))) {
      throw new Error('dist/ui/public is missing: run `npm run build` before the e2e tests (npm test does).');
    }
    dir = mkdtempSync(join(tmpdir(), 'lily-e2e-ui-'));
    expect(at('init').code).toBe(0);
    for (const [id, yaml] of Object.entries(JOBS))
      writeFileSync(join(dir, '.lily', 'jobs', `${id}.job.yaml`), yaml);
    const policy = readFileSync(join(dir, '.lily', 'policy.yaml'), 'utf8').replace(
      /^approvals: \[\]$/m,
      'approvals:\n  - { job: gated, step: ship, reason: "a human ships" }',
    );
    writeFileSync(join(dir, '.lily', 'policy.yaml'), policy);
    const up = at('up', '--workers', '1');
    expect(up.code, up.stderr + up.stdout).toBe(0);

    expect(at('jobs', 'run', 'hello', '--follow').code).toBe(0);
    runs.hello = (at('runs', 'list', '--job', 'hello', '--json').json() as { runs: { runId: string }[] })
      .runs[0]?.runId as string;
    expect(at('jobs', 'run', 'flaky', '--follow').code).toBe(1);
    runs.flaky = (at('runs', 'list', '--job', 'flaky', '--json').json() as { runs: { runId: string }[] })
      .runs[0]?.runId as string;
    runs.gated = requested('gated');
    await untilStatus(runs.gated, /running/);

    console_ = lilyBackground(['ui', '--json', '--port', '0', '--dir', dir]);
    await console_.waitFor(/"url"/);
    const doc = JSON.parse(console_.stdout().split('\n')[0] as string) as { url: string; origin: string };
    url = doc.url;
    origin = doc.origin;
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await console_?.stop();
    if (dir) {
      at('down', '--grace-ms', '2000');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints a URL on 127.0.0.1 whose fragment carries the secret', () => {
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).toMatch(new RegExp(`^${origin}/#token=[A-Za-z0-9_-]{40,}$`));
  });

  it('the runs list shows the run that succeeded, the one that failed after retries and the one waiting for approval', async () => {
    const page = await openConsole();
    await expect.poll(() => page.url()).toBe(`${origin}/`); // the secret left the address bar
    const row = (runId: string) => page.locator(`tr[data-run="${runId}"]`);
    await row(runs.gated as string)
      .getByText('waiting for approval')
      .waitFor();
    expect(
      await row(runs.hello as string)
        .getByText('succeeded', { exact: true })
        .count(),
    ).toBe(1);
    expect(
      await row(runs.flaky as string)
        .getByText('failed', { exact: true })
        .count(),
    ).toBe(1);
    expect(
      await row(runs.flaky as string)
        .getByText('job_execution_failed')
        .count(),
    ).toBe(1);
    expect(
      await row(runs.gated as string)
        .getByText('running', { exact: true })
        .count(),
    ).toBe(1);
    await page.getByRole('status').filter({ hasText: '● live' }).waitFor();
    await browser.shot(page, 'runs');
    // A run started elsewhere appears without a reload: NATS -> the server's feed -> SSE -> a re-read.
    const elsewhere = requested('hello');
    await row(elsewhere).getByText('succeeded', { exact: true }).waitFor({ timeout: 30_000 });
    // Filters narrow the list (through the API, the URL keeps them).
    await page.getByLabel('Status').selectOption('failed');
    await row(runs.hello as string).waitFor({ state: 'detached' });
    await row(runs.flaky as string).waitFor();
    await page.getByLabel('Run id').fill((runs.gated as string).slice(0, 12));
    await row(runs.flaky as string).waitFor({ state: 'detached' });
    await page.close();
  }, 60_000);

  it("a failed run's page draws its timeline: three failed attempts with their backoff gaps", async () => {
    const page = await openConsole();
    await page.getByRole('link', { name: runs.flaky as string }).click();
    const timeline = page.getByRole('img', { name: /^Timeline of the run/ });
    await timeline.waitFor();
    const failed = timeline.getByRole('button', { name: /^attempt \d on worker \S+: running .*, failed$/ });
    await expect.poll(() => failed.count()).toBe(3);
    expect(await timeline.getByRole('button', { name: /^backoff \d+ ms before attempt [23]/ }).count()).toBe(
      2,
    );
    expect(
      await timeline
        .getByRole('button', { name: /^attempt 1 on worker \S+: running .*, succeeded$/ })
        .count(),
    ).toBe(1);
    await browser.shot(page, 'run-timeline-retries');
    // A bar opens its event in the history, with the event's JSON.
    await failed.first().click();
    await page.getByRole('tab', { name: /History/, selected: true }).waitFor();
    await page
      .getByLabel(/^event \d+ JSON$/)
      .first()
      .waitFor();
    expect(
      await page
        .getByLabel(/^event \d+ JSON$/)
        .first()
        .textContent(),
    ).toContain('"type": "step.started"');
    await browser.shot(page, 'run-history');
    // Replay-verify on demand.
    await page.getByRole('button', { name: 'Replay & verify' }).click();
    await page.getByText(/^Replay verified/).waitFor();
    // The machine graph with the state the log folds each step to.
    await page.getByRole('tab', { name: 'Graph' }).click();
    await page.getByRole('button', { name: 'step flake, command, failed' }).waitFor();
    expect(await page.getByRole('button', { name: 'step prepare, command, succeeded' }).count()).toBe(1);
    await browser.shot(page, 'run-graph');
    await page.close();
  }, 60_000);

  it('re-running a failed run from its failing step forks it: the steps before are reused', async () => {
    const page = await openConsole(`/runs/${runs.flaky}`);
    await page.getByRole('button', { name: 'Rerun from flake' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Reused from the parent (not run): prepare.').waitFor();
    await dialog.getByText('Run again: flake.').waitFor();
    await dialog.getByRole('button', { name: 'Start the new run' }).click();
    const child = await untilNewRunPage(page, runs.flaky as string, 'failed');
    expect(child).not.toBe(runs.flaky);
    await page.getByRole('link', { name: runs.flaky as string }).waitFor(); // "Fork (from flake) of"
    const r = at('runs', 'show', child, '--json').json() as {
      parent: unknown;
      steps: { stepId: string; attempts: unknown[] }[];
    };
    expect(r.parent).toMatchObject({ runId: runs.flaky, fromStep: 'flake' });
    expect(r.steps.find((s) => s.stepId === 'prepare')?.attempts ?? []).toEqual([]); // reused, not run
    const forked = at('runs', 'events', child, '--json')
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: { memoized?: string[] } })
      .find((e) => e.type === 'run.forked');
    expect(forked?.data.memoized).toEqual(['prepare']);
    await page.close();
  }, 90_000);

  it("an action's confirm button stays disabled from an edit until the preview of that edit is back", async () => {
    const page = await openConsole(`/runs/${runs.hello}`);
    await page.getByRole('button', { name: 'Rerun…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Every step runs: greet, versions, done.').waitFor();
    const confirm = dialog.getByRole('button', { name: 'Start the new run' });
    await expect.poll(() => confirm.isEnabled(), { timeout: 10_000 }).toBe(true);
    // Every change of the button's `disabled`, as the DOM saw it: a flash of "enabled" between
    // two renders is what a click (a person's, or Playwright's after its check) can land on.
    await confirm.evaluate((b) => {
      // (runs in the page: no DOM types in the tests' tsconfig)
      const page = globalThis as unknown as {
        seen: string[];
        MutationObserver: new (cb: () => void) => { observe(node: unknown, o: object): void };
      };
      const button = b as unknown as { disabled: boolean };
      page.seen = [];
      new page.MutationObserver(() => page.seen.push(button.disabled ? 'off' : 'on')).observe(b, {
        attributes: true,
        attributeFilter: ['disabled'],
      });
    });
    const previewed = page.waitForResponse((r) => r.url().endsWith('/rerun/preview'));
    await dialog.getByLabel(/^Input/).fill('{"who": "typed"}');
    await previewed;
    await expect.poll(() => confirm.isEnabled(), { timeout: 10_000 }).toBe(true);
    const seen = await page.evaluate(() => (globalThis as unknown as { seen: string[] }).seen);
    expect(seen).toEqual(['off', 'on']);
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.close();
  }, 60_000);

  it('re-running the whole job with edited input starts a run with that input', async () => {
    const page = await openConsole(`/runs/${runs.hello}`);
    await page.getByRole('button', { name: 'Rerun…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/, the same plan the parent pinned\.$/).waitFor();
    await dialog.getByText('Every step runs: greet, versions, done.').waitFor();
    await dialog.getByLabel(/^Input/).fill('{"who": "console"}');
    await dialog.getByRole('button', { name: 'Start the new run' }).click();
    const child = await untilNewRunPage(page, runs.hello as string, 'succeeded');
    const r = at('runs', 'show', child, '--json').json() as {
      input: unknown;
      trigger: unknown;
      parent: unknown;
    };
    expect(r.input).toEqual({ who: 'console' });
    expect(r.trigger).toMatchObject({ kind: 'rerun', parentRunId: runs.hello });
    await page.close();
  }, 90_000);

  it('approving from the console completes the waiting run (the page follows it live)', async () => {
    const page = await openConsole(`/runs/${runs.gated}`);
    const timeline = page.getByRole('img', { name: /^Timeline of the run/ });
    await timeline.getByRole('button', { name: /^waiting for approval: a human ships/ }).waitFor();
    await page.getByRole('button', { name: 'Approve ship' }).click();
    const dialog = page.getByRole('dialog');
    await dialog
      .getByText(
        /Step ship \(attempt 1\) is dispatched to the command executor and runs \["echo","shipped"\]/,
      )
      .waitFor();
    await dialog.getByLabel(/Comment/).fill('ship it');
    await browser.shot(page, 'approve-dialog');
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    // No reload: the live feed tells the page the run's stream grew, and it re-reads the log.
    await explained(
      page,
      () => runs.gated,
      async () => {
        await dialog.waitFor({ state: 'detached' });
        await page.locator('.page-head').getByText('succeeded', { exact: true }).waitFor({ timeout: 30_000 });
      },
    );
    await timeline
      .getByRole('button', {
        name: /^waiting for approval: a human ships \(granted by .+\): approval wait .*, granted$/,
      })
      .waitFor();
    await browser.shot(page, 'run-timeline-approval');
    const r = receipt(runs.gated as string);
    expect(r.status).toBe('succeeded');
    expect(r.approvals[0]).toMatchObject({ status: 'granted', comment: 'ship it' });
    await page.close();
  }, 90_000);

  it('the secret is required (401 without it) and the Host header is checked (421)', async () => {
    expect((await fetch(`${origin}/api/runs`)).status).toBe(401);
    expect(
      (await fetch(`${origin}/api/runs`, { headers: { Authorization: 'Bearer not-the-secret' } })).status,
    ).toBe(401);
    expect((await fetch(`${origin}/api/live`)).status).toBe(401);
    const token = new URL(url).hash.slice('#token='.length);
    const ok = await fetch(`${origin}/api/runs`, { headers: { Authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await ok.json()) as { total: number }).total).toBeGreaterThanOrEqual(3);
    // fetch() may not set Host; node:http does. A DNS-rebound page would send its own domain.
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(`${origin}/api/runs`, {
        headers: { Authorization: `Bearer ${token}`, Host: `evil.example:${new URL(origin).port}` },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(421);
  });

  it('a cross-origin POST is refused, and the run it aimed at keeps running', async () => {
    const target = requested('slow');
    await untilRunning(target, 'nap');
    const token = new URL(url).hash.slice('#token='.length);
    const forged = await fetch(`${origin}/api/runs/${target}/cancel`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        Origin: 'http://evil.example',
        'Content-Type': 'application/json',
      },
      body: '{}',
    });
    expect(forged.status).toBe(403);
    // In the browser, with the console's session cookie in the jar: a page of another origin tries.
    const signedIn = await openConsole();
    await signedIn.locator('table.runs').waitFor();
    const evil = await evilServer(origin, target);
    try {
      const page = await browser.context.newPage(); // not watched: its console reports the blocked requests
      await page.goto(`${evil.origin}/`);
      await expect
        .poll(() => page.evaluate(() => (globalThis as unknown as { results: string[] }).results.length))
        .toBe(2);
      const results = await page.evaluate(() => (globalThis as unknown as { results: string[] }).results);
      expect(results).toContain('fetch blocked');
      await page.close();
    } finally {
      evil.server.close();
    }
    await new Promise((r) => setTimeout(r, 1000));
    expect(receipt(target).status).toBe('running');
    expect(receipt(target).cancel).toBeNull();
    await signedIn.close();
    // The job runs one at a time: end this run (from the CLI) so the next test can start one.
    expect(at('runs', 'cancel', target, '--reason', 'cross-site test done').code).toBe(0);
    await untilStatus(target, /cancelled/);
  }, 90_000);

  it('cancelling from the console stops the running step: the run ends cancelled', async () => {
    const page = await openConsole('/jobs');
    await page.getByRole('button', { name: 'Run slow' }).click();
    let dialog = page.getByRole('dialog');
    await dialog.getByText(/pins pipeline\.v1@1\.0\.0, plan [0-9a-f]{12}, with 1 step\(s\): nap/).waitFor();
    await dialog.getByRole('button', { name: 'Start the run' }).click();
    await page.waitForURL(/\/runs\/[0-9A-Z]{26}$/);
    const runId = page.url().split('/').at(-1) as string;
    const timeline = page.getByRole('img', { name: /^Timeline of the run/ });
    await timeline
      .getByRole('button', { name: /^attempt 1 on worker \S+: running .* so far$/ })
      .waitFor({ timeout: 30_000 });
    await browser.shot(page, 'run-timeline-running', { settleMs: 1500 });
    await page.getByRole('button', { name: 'Cancel run…' }).click();
    dialog = page.getByRole('dialog');
    await dialog
      .getByText(/Step nap attempt 1 is running on worker \S+: the run stops waiting for it/)
      .waitFor();
    await dialog.getByLabel(/Reason/).fill('enough sleep');
    await browser.shot(page, 'cancel-dialog');
    await dialog.getByRole('button', { name: 'Cancel the run' }).click();
    await explained(
      page,
      () => runId,
      () => page.locator('.page-head').getByText('cancelled', { exact: true }).waitFor({ timeout: 30_000 }),
    );
    await timeline
      .getByRole('button', { name: /^attempt 1 on worker \S+: running .*, cancelled$/ })
      .waitFor();
    const r = receipt(runId);
    expect(r.status).toBe('cancelled');
    expect(r.cancel).toMatchObject({ reason: 'enough sleep' });
    await page.close();
  }, 90_000);

  it('the approvals, jobs and deployment pages show the deployment as it is', async () => {
    const page = await openConsole('/approvals');
    await page.getByLabel('show answered').check();
    await page.locator(`tr[data-approval]`).first().getByText('granted', { exact: true }).waitFor();
    await browser.shot(page, 'approvals');
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.locator('tr[data-job="flaky"]').waitFor();
    const nightly = page.locator('tr[data-job="nightly"]');
    expect(await nightly.getByText('cron 0 3 * * * (Europe/Paris, overlap skip)').count()).toBe(1);
    // The next three fires, at 03:00 in Paris: 01:00 or 02:00 UTC.
    expect(await nightly.getByText(/^\d{4}-\d\d-\d\d 0[12]:00:00Z$/).count()).toBe(3);
    expect(
      await page
        .locator('tr[data-job="gated"]')
        .getByRole('link', { name: /: succeeded$/ })
        .count(),
    ).toBe(1);
    await browser.shot(page, 'jobs');
    await page.getByRole('link', { name: 'Deployment' }).click();
    await page.getByRole('rowheader', { name: 'engine' }).waitFor();
    expect(await page.getByRole('rowheader', { name: 'worker-1' }).count()).toBe(1);
    expect(await page.locator('.page-head').getByText('healthy').count()).toBe(1);
    await browser.shot(page, 'deployment');
    await page.close();
  }, 60_000);

  it('after the deployment restarts (a new NATS), the feed finds it again and the list follows live', async () => {
    const page = await openConsole();
    await page.getByRole('status').filter({ hasText: '● live' }).waitFor();
    expect(at('down', '--grace-ms', '2000').code).toBe(0);
    await page.getByRole('status').filter({ hasText: '○ offline' }).waitFor({ timeout: 30_000 });
    const up = at('up', '--workers', '1');
    expect(up.code, up.stderr).toBe(0);
    await page.getByRole('status').filter({ hasText: '● live' }).waitFor({ timeout: 30_000 });
    const after = requested('hello');
    await page
      .locator(`tr[data-run="${after}"]`)
      .getByText('succeeded', { exact: true })
      .waitFor({ timeout: 30_000 });
    await page.close();
  }, 120_000);

  it('no page of the console logged an error', () => {
    expect(browser.errors).toEqual([]);
  });
});

describe.runIf(chromiumMissing)('lily ui in a browser', () => {
  it.skip(`needs chromium at ${CHROMIUM} (apt-get install chromium, or set LILY_CHROMIUM)`, () => undefined);
});
