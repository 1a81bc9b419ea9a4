import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, memoryLogger, silentLogger } from '../../../src/actors/logger.js';

describe('logger', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lily-logger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes JSON lines to a file (creating its directory), at or above its level, with secrets redacted', async () => {
    const file = join(dir, 'logs', 'engine.log');
    const log = createLogger({ name: 'engine', file, level: 'info' });
    log.debug({ event: 'too.quiet' }, 'not written');
    log.info('plain message');
    log.child({ component: 'bus' }).warn(
      {
        event: 'message.rejected',
        subject: 'lily.default.cmd.policy',
        token: 's3cret',
        nats: { token: 's3cret' },
      },
      'bus message rejected',
    );
    await log.flush();
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).toEqual(['plain message', 'bus message rejected']);
    expect(lines[1]).toMatchObject({
      name: 'engine',
      component: 'bus',
      level: 40,
      event: 'message.rejected',
    });
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('memory logger keeps entries with child bindings; silent logger accepts everything', async () => {
    const mem = memoryLogger({ app: 'lily' });
    mem.child({ component: 'x' }).error({ event: 'boom' }, 'failed');
    mem.info('hello');
    expect(mem.entries).toEqual([
      { app: 'lily', component: 'x', event: 'boom', level: 'error', msg: 'failed' },
      { app: 'lily', level: 'info', msg: 'hello' },
    ]);
    const silent = silentLogger();
    silent.child({ a: 1 }).warn({ event: 'x' });
    await silent.flush();
  });
});
