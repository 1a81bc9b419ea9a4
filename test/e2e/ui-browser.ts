/** The system chromium driven by playwright-core for the console's browser tests (nothing is downloaded). */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './cli-live-process.js';

export const CHROMIUM = process.env.LILY_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM);

/** Screenshots for docs/ui.md are written only when asked (so a test run never rewrites the docs). */
export const SCREENSHOTS = process.env.LILY_UI_SCREENSHOTS === '1';

export interface Browser {
  context: BrowserContext;
  /** Console errors and uncaught exceptions of the pages opened with `page()`. */
  errors: string[];
  page(): Promise<Page>;
  /** What a page shows and what it asked the server lately: for a failed wait's message. */
  describe(page: Page): Promise<string>;
  /** Writes docs/ui/<name>.png when LILY_UI_SCREENSHOTS=1. */
  shot(page: Page, name: string, o?: { fullPage?: boolean; settleMs?: number }): Promise<void>;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile; every page it opens reports its console errors. */
export const launchBrowser = async (): Promise<Browser> => {
  const profile = mkdtempSync(join(tmpdir(), 'lily-ui-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const errors: string[] = [];
  const requests = new WeakMap<Page, string[]>();
  const watch = (page: Page) => {
    const seen: string[] = [];
    requests.set(page, seen);
    const note = (line: string) => {
      seen.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
      if (seen.length > 30) seen.shift();
    };
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('response', (r) => note(`${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`));
    page.on('requestfailed', (r) =>
      note(`${r.method()} ${new URL(r.url()).pathname} failed: ${r.failure()?.errorText}`),
    );
  };
  return {
    context,
    errors,
    async page() {
      const page = await context.newPage();
      watch(page);
      return page;
    },
    async describe(page) {
      const text = await page
        .locator('main')
        .textContent({ timeout: 2_000 })
        .catch((e: Error) => `(no main: ${e.message})`);
      const dialog = await page
        .getByRole('dialog')
        .textContent({ timeout: 500 })
        .catch(() => '(no dialog)');
      return [
        `url: ${page.url()}`,
        `main: ${(text ?? '').replace(/\s+/g, ' ').slice(0, 600)}`,
        `dialog: ${(dialog ?? '').replace(/\s+/g, ' ').slice(0, 600)}`,
        'requests:',
        ...(requests.get(page) ?? []),
      ].join('\n');
    },
    async shot(page, name, o = {}) {
      if (!SCREENSHOTS) return;
      // Only for the picture (a running bar grows): no assertion waits on time.
      if (o.settleMs !== undefined) await page.waitForTimeout(o.settleMs);
      const dir = join(ROOT, 'docs/ui');
      mkdirSync(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `${name}.png`), fullPage: o.fullPage === true });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
};
