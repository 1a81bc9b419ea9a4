/**
 * `lily up --listen` with local worker daemons: they start beside the engine that creates the
 * JetStream buckets (waiting for it), share the dispatch ledger on NATS, and run the example
 * job; `lily status` shows the ledger and no worker from elsewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../helpers/nats-server.js';
import { lily, requireBuild } from './cli-live-process.js';

let dir: string;
const at = (...args: string[]) => lily([...args, '--dir', dir], { timeoutMs: 120_000 });

beforeAll(() => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), 'lily-e2e-listen-'));
  expect(at('init').code).toBe(0);
});

afterAll(() => {
  if (dir) {
    at('down', '--grace-ms', '5000');
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('lily up --listen with local workers', () => {
  it('the workers share the ledger on NATS with the engine and run the job', async () => {
    const port = await freeLoopbackPort();
    const up = at('up', '--listen', `127.0.0.1:${port}`, '--workers', '2', '--json');
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.json()).toMatchObject({
      ledger: 'nats',
      nats: { listen: `127.0.0.1:${port}`, url: `nats://127.0.0.1:${port}` },
    });
    const status = at('status', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(status.json()).toMatchObject({ healthy: true, ledger: 'nats', remote: [] });
    const engineLog = lily(['status', '--dir', dir]).stdout;
    expect(engineLog).toMatch(/ledger\s+nats/);
    const run = at('jobs', 'run', 'hello', '--follow', '--json');
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.json()).toMatchObject({ status: 'succeeded' });
    // Listening elsewhere needs `lily down` first.
    const again = at('up', '--listen', `127.0.0.1:${port + 1}`, '--workers', '2');
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).toMatch(/already up/);
  }, 180_000);
});
