import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  acquireLifecycleLock,
  lifecycleHolder,
  lifecycleLockPath,
} from '../../../src/deployment/lifecycle-lock.js';

const root = mkdtempSync(join(tmpdir(), 'lily-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the lifecycle lock', () => {
  it('one holder at a time: a second taker fails at once (lifecycle_busy) or waits for the release', async () => {
    const lock = await acquireLifecycleLock(root, 'up');
    expect(await lifecycleHolder(root)).toMatchObject({ pid: process.pid, what: 'up' });
    await expect(acquireLifecycleLock(root, 'down')).rejects.toMatchObject({
      code: 'lifecycle_busy',
      data: { holder: { what: 'up', pid: process.pid } },
    });
    let waited = false;
    const next = acquireLifecycleLock(root, 'down', { waitMs: 30_000, onWait: () => (waited = true) });
    await new Promise((r) => setTimeout(r, 300));
    await lock.release();
    const second = await next;
    expect(waited).toBe(true);
    expect(second.holder.what).toBe('down');
    await second.release();
    expect(await lifecycleHolder(root)).toBeUndefined();
  });

  it('refuses at once when asked to (up while an ephemeral engine runs)', async () => {
    const lock = await acquireLifecycleLock(root, 'ephemeral');
    await expect(
      acquireLifecycleLock(root, 'up', { waitMs: 30_000, refuseIf: (h) => h.what === 'ephemeral' }),
    ).rejects.toMatchObject({ code: 'lifecycle_busy', message: expect.stringContaining('ephemeral engine') });
    await lock.release();
  });

  it('a lock left by a process that died is taken over', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const pid = Number(dead.stdout.trim());
    writeFileSync(
      lifecycleLockPath(root),
      JSON.stringify({ pid, what: 'ephemeral', since: 1, command: 'lily jobs run x', startTime: '1' }),
    );
    expect(await lifecycleHolder(root)).toBeUndefined();
    const lock = await acquireLifecycleLock(root, 'down');
    expect(lock.holder.pid).toBe(process.pid);
    await lock.release();
  });

  it('concurrent takers never hold it together', async () => {
    let inside = 0;
    let most = 0;
    await Promise.all(
      [1, 2, 3, 4, 5].map(async () => {
        const lock = await acquireLifecycleLock(root, 'up', { waitMs: 30_000 });
        inside += 1;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 50));
        inside -= 1;
        await lock.release();
      }),
    );
    expect(most).toBe(1);
  });
});
